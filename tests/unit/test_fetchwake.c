/* Unit tests of libcore/fetchwake: the list of leaders to wake, built again
 * after a failover or when partitions are added, the queue's hysteresis and
 * when the leaders are looked up again. No broker: the metadata is made
 * here. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "fetchwake.h"

/* the partition the list asks to wake @p leader, or -2 when none */
static int32_t leader_of(const struct krt_fetchwake *fw, int32_t leader)
{
    for (int i = 0; i < fw->n; i++)
        if (fw->v[i].leader == leader)
            return fw->v[i].partition;
    return -2;
}

START_TEST(one_partition_per_leader)
{
    struct krt_fetchwake fw;
    struct krt_error err;
    krt_fetchwake_init(&fw, NULL, 1 << 20);
    struct krt_fetchwake_part p[] = {{"t", 0, 1}, {"t", 1, 2}, {"t", 2, 3},
                                     {"t", 3, 1}, {"t", 4, -1}, {"t", 5, 2}};
    ck_assert_int_eq(krt_fetchwake_pick(&fw, p, 6, &err), 1);
    ck_assert_int_eq(fw.n, 3);
    ck_assert_int_eq(leader_of(&fw, 1), 0);
    ck_assert_int_eq(leader_of(&fw, 2), 1);
    ck_assert_int_eq(leader_of(&fw, 3), 2);
    ck_assert_int_eq(leader_of(&fw, -1), -2); /* no leader: nobody to wake */
    /* the same metadata again: no change */
    ck_assert_int_eq(krt_fetchwake_pick(&fw, p, 6, &err), 0);
    ck_assert_int_eq(fw.n, 3);
    krt_fetchwake_free(&fw);
}
END_TEST

START_TEST(failover_moves_leaders)
{
    struct krt_fetchwake fw;
    struct krt_error err;
    krt_fetchwake_init(&fw, NULL, 1 << 20);
    struct krt_fetchwake_part before[] = {{"t", 0, 1}, {"t", 1, 2}, {"t", 2, 3}, {"t", 3, 2}};
    ck_assert_int_eq(krt_fetchwake_pick(&fw, before, 4, &err), 1);
    /* broker 2 is lost: partition 1 moves to broker 4, partition 3 to 3 */
    struct krt_fetchwake_part after[] = {{"t", 0, 1}, {"t", 1, 4}, {"t", 2, 3}, {"t", 3, 3}};
    ck_assert_int_eq(krt_fetchwake_pick(&fw, after, 4, &err), 1);
    ck_assert_int_eq(fw.n, 3);
    ck_assert_int_eq(leader_of(&fw, 2), -2);
    ck_assert_int_eq(leader_of(&fw, 4), 1);
    ck_assert_int_eq(leader_of(&fw, 3), 2);
    /* the leaders stay, but the partition asking broker 1 moved away: that
     * request would wake another broker, so the list changes */
    struct krt_fetchwake_part moved[] = {{"t", 0, 3}, {"t", 1, 4}, {"t", 2, 3}, {"t", 3, 1}};
    ck_assert_int_eq(krt_fetchwake_pick(&fw, moved, 4, &err), 1);
    ck_assert_int_eq(leader_of(&fw, 1), 3);
    ck_assert_int_eq(leader_of(&fw, 3), 0);
    krt_fetchwake_free(&fw);
}
END_TEST

START_TEST(partitions_added)
{
    struct krt_fetchwake fw;
    struct krt_error err;
    krt_fetchwake_init(&fw, NULL, 1 << 20);
    struct krt_fetchwake_part p[] = {{"a", 0, 1}, {"a", 1, 1}, {"b", 0, 5}};
    ck_assert_int_eq(krt_fetchwake_pick(&fw, p, 2, &err), 1);
    ck_assert_int_eq(fw.n, 1);
    /* topic b assigned later, led by a broker not seen before */
    ck_assert_int_eq(krt_fetchwake_pick(&fw, p, 3, &err), 1);
    ck_assert_int_eq(fw.n, 2);
    ck_assert_str_eq(fw.v[1].topic, "b");
    ck_assert_int_eq(fw.v[1].leader, 5);
    krt_fetchwake_free(&fw);
}
END_TEST

static bool only_orders(const void *opaque, const char *topic)
{
    return !strcmp(topic, (const char *)opaque);
}

START_TEST(from_metadata)
{
    struct krt_part pa[] = {{.id = 0, .leader = 1}, {.id = 1, .leader = 2}};
    struct krt_part pb[] = {{.id = 0, .leader = 3}};
    struct krt_topic t[] = {{.name = "logs", .parts = pb, .nparts = 1},
                            {.name = "orders", .parts = pa, .nparts = 2}};
    struct krt_metadata md = {.topics = t, .ntopics = 2};
    struct krt_fetchwake fw;
    struct krt_error err;
    krt_fetchwake_init(&fw, NULL, 1 << 20);
    ck_assert_int_eq(krt_fetchwake_from_metadata(&fw, &md, NULL, NULL, &err), 0);
    ck_assert_int_eq(fw.n, 3); /* every topic */
    ck_assert_int_eq(krt_fetchwake_from_metadata(&fw, &md, only_orders, "orders", &err), 0);
    ck_assert_int_eq(fw.n, 2); /* the topics wanted */
    ck_assert_int_eq(leader_of(&fw, 3), -2);
    krt_fetchwake_free(&fw);
}
END_TEST

START_TEST(queue_hysteresis)
{
    struct krt_fetchwake fw;
    krt_fetchwake_init(&fw, NULL, 8000);
    ck_assert(!krt_fetchwake_due(&fw, 500)); /* never full yet: librdkafka fetches */
    ck_assert(!krt_fetchwake_due(&fw, 5999));
    ck_assert(!krt_fetchwake_due(&fw, 6000)); /* 3/4: the fetchers may stop */
    ck_assert(!krt_fetchwake_due(&fw, 3000));
    ck_assert(!krt_fetchwake_due(&fw, 1001));
    ck_assert(krt_fetchwake_due(&fw, 1000)); /* drained to 1/8: wake */
    ck_assert(!krt_fetchwake_due(&fw, 0));   /* once per fill */
    krt_fetchwake_free(&fw);
}
END_TEST

/* Small records: librdkafka's queued.min.messages (100,000) stops the
 * fetchers long before the byte bound; a queue at that count is full. */
START_TEST(message_bound_counts)
{
    const int64_t qb = 16 * 1024 * 1024, qm = 100000;
    /* 1 KB records: the byte bound comes first */
    ck_assert_int_eq(krt_fetchwake_fill(12000, 1024, qb, qm), 12000 * 1024);
    /* 50-byte records: 100,000 queued is only 5 MB, but full */
    ck_assert_int_eq(krt_fetchwake_fill(100000, 50, qb, qm), qb);
    ck_assert_int_ge(krt_fetchwake_fill(75000, 50, qb, qm), qb / 4 * 3 - qm);
    ck_assert_int_le(krt_fetchwake_fill(12000, 50, qb, qm), qb / 8);
    /* so a fill and drain of small records wakes the fetchers */
    struct krt_fetchwake fw;
    krt_fetchwake_init(&fw, NULL, qb);
    ck_assert(!krt_fetchwake_due(&fw, krt_fetchwake_fill(100000, 50, qb, qm)));
    ck_assert(krt_fetchwake_due(&fw, krt_fetchwake_fill(10000, 50, qb, qm)));
    krt_fetchwake_free(&fw);
    /* the count unknown (0): bytes only */
    ck_assert_int_eq(krt_fetchwake_fill(100000, 50, qb, 0), 5000000);
}
END_TEST

START_TEST(refresh_when_due)
{
    struct krt_fetchwake fw;
    krt_fetchwake_init(&fw, NULL, 8000);
    int64_t t = fw.built_ms;
    ck_assert(!krt_fetchwake_needs_refresh(&fw, t + 100));
    ck_assert(krt_fetchwake_needs_refresh(&fw, t + KRT_FETCHWAKE_REFRESH_MS));
    /* a failed wake-up asks for a new list, after a second at least */
    fw.stale = true;
    ck_assert(!krt_fetchwake_needs_refresh(&fw, t + 100));
    ck_assert(krt_fetchwake_needs_refresh(&fw, t + 1000));
    krt_fetchwake_free(&fw);
}
END_TEST

/* The queue's bound comes from the client's own configuration (a -X
 * override moves the thresholds), and a wake-up round runs on the module's
 * thread, which krt_fetchwake_detach() and krt_fetchwake_free() stop. The
 * client has no broker to reach (port 1), so the round's request fails. */
START_TEST(bound_from_client)
{
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ck_assert(rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", e, sizeof(e)) ==
              RD_KAFKA_CONF_OK);
    ck_assert(rd_kafka_conf_set(conf, "group.id", "krt-unit", e, sizeof(e)) == RD_KAFKA_CONF_OK);
    ck_assert(rd_kafka_conf_set(conf, "queued.max.messages.kbytes", "1234", e, sizeof(e)) ==
              RD_KAFKA_CONF_OK);
    ck_assert(rd_kafka_conf_set(conf, "queued.min.messages", "777", e, sizeof(e)) ==
              RD_KAFKA_CONF_OK);
    ck_assert(rd_kafka_conf_set(conf, "log_level", "0", e, sizeof(e)) == RD_KAFKA_CONF_OK);
    struct krt_conn conn = {0};
    conn.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    ck_assert_msg(conn.rk != NULL, "%s", e);
    struct krt_fetchwake fw;
    krt_fetchwake_init(&fw, &conn, 8000); /* a stand-in until the client is read */
    krt_fetchwake_pace(&fw, 1024);
    ck_assert_int_eq(fw.queue_bytes, 1234 * 1024);
    ck_assert_int_eq(fw.queue_msgs, 777);
    ck_assert(!fw.running); /* nothing to wake yet */
    /* a leader to wake for a topic no broker can tell about: the round
     * fails, which asks for a new list */
    struct krt_fetchwake_part p[] = {{"krt-unit-nowhere", 0, 1}};
    struct krt_error err;
    ck_assert_int_eq(krt_fetchwake_pick(&fw, p, 1, &err), 1);
    fw.high = true; /* as if the queue had been full: drained now, so wake */
    krt_fetchwake_pace(&fw, 1024);
    ck_assert_int_eq(fw.wakeups, 1);
    ck_assert(fw.running);
    int64_t rounds = 0;
    for (int i = 0; i < 100 && rounds < 1; i++) { /* the thread's round, 10 s at most */
        pthread_mutex_lock(&fw.mu);
        rounds = fw.rounds;
        pthread_mutex_unlock(&fw.mu);
        if (!rounds)
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    ck_assert_int_eq(rounds, 1);
    /* no broker is up: librdkafka cannot find the leader and says so
     * ("all brokers down"), which is no timeout: the round failed */
    pthread_mutex_lock(&fw.lock);
    ck_assert_int_eq(fw.failed_rounds, 1);
    pthread_mutex_unlock(&fw.lock);
    krt_fetchwake_detach(&fw); /* the thread stopped, the queue let go, the list kept */
    ck_assert(!fw.running);
    ck_assert(fw.cq == NULL);
    ck_assert_int_eq(fw.n, 1);
    krt_fetchwake_free(&fw);
    ck_assert_int_eq(fw.n, 0);
    rd_kafka_destroy(conn.rk);
}
END_TEST

KRT_SUITE("fetchwake", bound_from_client, one_partition_per_leader, failover_moves_leaders, partitions_added,
          from_metadata, queue_hysteresis, refresh_when_due, message_bound_counts)
