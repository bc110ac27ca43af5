// AvroResolve: an independent oracle for Avro's resolution rules, Java's own
// Avro (the jar the test registry runs). Writes one datum with WRITER (its
// int fields 1; the helper knows no other types), reads it back with READER
// as the reader schema, prints "read JSON" (exit 0) or "fails REASON" (exit 1).
//   java -cp AVRO_AND_JACKSON_JARS AvroResolve.java WRITER.avsc READER.avsc
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

public class AvroResolve {
    public static void main(String[] args) throws Exception {
        Schema writer = new Schema.Parser().parse(Files.readString(Paths.get(args[0])));
        Schema reader = new Schema.Parser().parse(Files.readString(Paths.get(args[1])));
        GenericRecord datum = new GenericData.Record(writer);
        for (Schema.Field f : writer.getFields()) {
            if (f.schema().getType() != Schema.Type.INT)
                throw new IllegalArgumentException("field " + f.name() + " is not an int");
            datum.put(f.name(), 1);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(writer).write(datum, enc);
        enc.flush();
        try {
            Object got = new GenericDatumReader<Object>(writer, reader)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
            System.out.println("read " + got);
        } catch (Exception e) {
            System.out.println("fails " + e.getMessage());
            System.exit(1);
        }
    }
}
