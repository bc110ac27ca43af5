// TimeOracle: what Java says about each line of a corpus of date-times and
// durations, so that krt's parsers (libcore/timespec.c) can be compared with
// it. Input lines: KIND<TAB>ZONE<TAB>TEXT, KIND "dt" or "dur", ZONE an IANA
// zone or "-". Output, one line per input line, tab-separated verdicts, each
// "ok:<epoch ms>", "reject" or "range" (parsed, but the milliseconds do not
// fit in a long):
//   dt:  odt    OffsetDateTime.parse(TEXT)            (ISO_OFFSET_DATE_TIME)
//        local  LocalDateTime.parse(TEXT).atZone(ZONE) ("-" when ZONE is "-")
//        inst   Instant.parse(TEXT)                   (ISO_INSTANT)
//        kafka  org.apache.kafka.common.utils.Utils.getDateTime(TEXT), what
//               kafka-consumer-groups --to-datetime calls (java.text, not
//               java.time; "-" when Kafka's jar is not on the class path)
//   dur: dur    Duration.parse(TEXT).toMillis(), what --by-duration calls
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.function.Supplier;

public class TimeOracle {
    private static String verdict(Supplier<Long> f) {
        long ms;
        try {
            ms = f.get();
        } catch (ArithmeticException e) {
            return "range";
        } catch (RuntimeException e) {
            if (e.getCause() instanceof ArithmeticException)
                return "range";
            return "reject";
        }
        return "ok:" + ms;
    }

    public static void main(String[] args) throws Exception {
        Method kafka = null;
        try {
            kafka = Class.forName("org.apache.kafka.common.utils.Utils")
                    .getMethod("getDateTime", String.class);
        } catch (ClassNotFoundException e) {
            kafka = null;
        }
        final Method getDateTime = kafka;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split("\t", 3);
            String kind = f[0], zone = f[1], text = f[2];
            if (kind.equals("dur")) {
                out.println(verdict(() -> Duration.parse(text).toMillis()));
                continue;
            }
            String odt = verdict(() -> OffsetDateTime.parse(text).toInstant().toEpochMilli());
            String local = zone.equals("-") ? "-"
                    : verdict(() -> LocalDateTime.parse(text).atZone(ZoneId.of(zone)).toInstant().toEpochMilli());
            String inst = verdict(() -> Instant.parse(text).toEpochMilli());
            String kf = "-";
            if (getDateTime != null) {
                kf = verdict(() -> {
                    try {
                        return (Long) getDateTime.invoke(null, text);
                    } catch (InvocationTargetException e) {
                        Throwable c = e.getCause();
                        if (c instanceof ArithmeticException)
                            throw (ArithmeticException) c;
                        throw new IllegalArgumentException(c);
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            out.println(odt + "\t" + local + "\t" + inst + "\t" + kf);
        }
        out.flush();
    }
}
