/* produce - test helper: produce records with explicit partitions and
 * timestamps, which kcat cannot set. Reads lines from stdin:
 *   PARTITION <TAB> TIMESTAMP_MS <TAB> KEY <TAB> VALUE [<TAB> NAME=VALUE;NAME=VALUE]
 * An empty KEY produces a record without key. Usage: produce BOOTSTRAP TOPIC
 * Test code only: tools reach Kafka through libcore. */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        fprintf(stderr, "produce: delivery failed: %s\n", rd_kafka_err2str(m->err));
        failed++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: produce BOOTSTRAP TOPIC < records.tsv\n");
        return 2;
    }
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr))) {
        fprintf(stderr, "produce: %s\n", errstr);
        return 2;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "produce: %s\n", errstr);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long n = 0;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (!len)
            continue;
        char *f[5] = {0};
        char *p = line;
        for (int i = 0; i < 5; i++) {
            char *tab = strchr(p, '\t');
            f[i] = p;
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (!f[3]) {
            fprintf(stderr, "produce: line %ld: need 4 tab-separated fields\n", n + 1);
            return 2;
        }
        rd_kafka_headers_t *hdrs = NULL;
        if (f[4] && *f[4]) {
            hdrs = rd_kafka_headers_new(4);
            for (char *h = strtok(f[4], ";"); h; h = strtok(NULL, ";")) {
                char *eq = strchr(h, '=');
                if (!eq)
                    continue;
                *eq = '\0';
                rd_kafka_header_add(hdrs, h, -1, eq + 1, -1);
            }
        }
        rd_kafka_resp_err_t e;
        do {
            e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_PARTITION(atoi(f[0])),
                RD_KAFKA_V_TIMESTAMP(atoll(f[1])),
                RD_KAFKA_V_KEY(*f[2] ? f[2] : NULL, strlen(f[2])),
                RD_KAFKA_V_VALUE(f[3], strlen(f[3])), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 50);
        } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        if (e) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
            return 1;
        }
        n++;
        rd_kafka_poll(rk, 0);
    }
    free(line);
    if (rd_kafka_flush(rk, 30000)) {
        fprintf(stderr, "produce: flush timed out\n");
        return 1;
    }
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}
