/* produce_frames - test helper: produce binary values (Avro, Confluent wire
 * format), which kcat's line-oriented input cannot carry. Reads frames from
 * stdin: a 4-byte big-endian length, then that many bytes (length 0xFFFFFFFF:
 * a null value). Record i goes to partition i % PARTITIONS.
 * Usage: produce_frames BOOTSTRAP TOPIC PARTITIONS
 * Test code only: tools reach Kafka through libcore. */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    if (m->err) {
        fprintf(stderr, "produce_frames: delivery failed: %s\n", rd_kafka_err2str(m->err));
        (*(int *)opaque)++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 || atoi(argv[3]) < 1) {
        fprintf(stderr, "usage: produce_frames BOOTSTRAP TOPIC PARTITIONS < frames\n");
        return 2;
    }
    int failed = 0, nparts = atoi(argv[3]);
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "compression.type", "lz4", errstr, sizeof(errstr))) {
        fprintf(stderr, "produce_frames: %s\n", errstr);
        return 2;
    }
    rd_kafka_conf_set_opaque(conf, &failed);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "produce_frames: %s\n", errstr);
        return 2;
    }
    unsigned char hdr[4];
    static unsigned char buf[1 << 20];
    long n = 0;
    while (fread(hdr, 1, 4, stdin) == 4) {
        uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
        void *val = NULL;
        size_t vlen = 0;
        if (len != 0xFFFFFFFFu) {
            if (len > sizeof(buf) || fread(buf, 1, len, stdin) != len) {
                fprintf(stderr, "produce_frames: truncated frame %ld\n", n);
                return 2;
            }
            val = buf;
            vlen = len;
        }
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]),
                                      RD_KAFKA_V_PARTITION((int32_t)(n % nparts)),
                                      RD_KAFKA_V_VALUE(val, vlen),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 50);
        if (e) {
            fprintf(stderr, "produce_frames: %s\n", rd_kafka_err2str(e));
            return 1;
        }
        rd_kafka_poll(rk, 0);
        n++;
    }
    rd_kafka_flush(rk, 60000);
    if (rd_kafka_outq_len(rk) > 0) {
        fprintf(stderr, "produce_frames: %d record(s) not delivered\n", rd_kafka_outq_len(rk));
        failed++;
    }
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}
