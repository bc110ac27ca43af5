// ProduceAt.java - write one record with an explicit CreateTime through
// Kafka's own Java producer (librdkafka, and so kcat and confluent-kafka,
// cannot send a timestamp of 0: they take 0 for "now").
// Usage: java -cp "$(scripts/kafka-cluster classpath)" ProduceAt.java \
//            BOOTSTRAP TOPIC PARTITION TIMESTAMP_MS KEY VALUE
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

public class ProduceAt {
    public static void main(String[] a) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", a[0]);
        p.put("acks", "all");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        try (KafkaProducer<String, String> pr = new KafkaProducer<>(p)) {
            RecordMetadata md = pr.send(new ProducerRecord<>(a[1], Integer.parseInt(a[2]),
                    Long.parseLong(a[3]), a[4], a[5])).get();
            System.out.println(md.partition() + " " + md.offset() + " " + md.timestamp());
        }
    }
}
