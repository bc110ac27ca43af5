/* Unit tests of libcore/avro_schema and schema_compat: parsing, default
 * validation, and Avro's resolution rules with their reasons and paths.
 * (tests/integration/schema.sh compares the verdicts with a real registry.) */
#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "avro_decode.h"
#include "avro_schema.h"
#include "schema_compat.h"

#define REC(fields) "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":[" fields "]}"

static struct krt_schema_reasons check_level(const char *old, const char *neu,
                                             enum krt_schema_level level)
{
    struct krt_avro_schema o, n;
    struct krt_error err;
    struct krt_schema_reasons r = {0};
    ck_assert_msg(krt_avro_schema_parse(old, "old", &o, &err) == 0, "old: %s", err.msg);
    ck_assert_msg(krt_avro_schema_parse(neu, "new", &n, &err) == 0, "new: %s", err.msg);
    ck_assert_int_eq(krt_schema_compat_level(level, &o, 1, &n, &r, &err), 0);
    krt_avro_schema_free(&o);
    krt_avro_schema_free(&n);
    return r;
}

static int has_reason(const struct krt_schema_reasons *r, const char *path, const char *field,
                      const char *text)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].path, path) && !strcmp(r->v[i].field, field) &&
            strstr(r->v[i].msg, text))
            return 1;
    return 0;
}

START_TEST(added_field_needs_default_backward)
{
    struct krt_schema_reasons r =
        check_level(REC("{\"name\":\"id\",\"type\":\"long\"}"),
                    REC("{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"discount\",\"type\":\"double\"}"),
                    KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(has_reason(&r, "/fields/1", "discount", "added without a default"));
    ck_assert(r.v[0].new_reads_old);
    krt_schema_compat_free(&r);
    /* with a default it is fine, and FORWARD never minded */
    r = check_level(REC("{\"name\":\"id\",\"type\":\"long\"}"),
                    REC("{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"d\",\"type\":\"double\",\"default\":0}"),
                    KRT_LEVEL_FULL);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
}
END_TEST

START_TEST(removed_field_without_old_default_forward)
{
    struct krt_schema_reasons r =
        check_level(REC("{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"x\",\"type\":\"string\"}"),
                    REC("{\"name\":\"id\",\"type\":\"long\"}"), KRT_LEVEL_FORWARD);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(has_reason(&r, "/fields/1", "x", "removed"));
    ck_assert(!r.v[0].new_reads_old);
    krt_schema_compat_free(&r);
    r = check_level(REC("{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"x\",\"type\":\"string\"}"),
                    REC("{\"name\":\"id\",\"type\":\"long\"}"), KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
}
END_TEST

/* an old version read from a registry (Java's looser default rules) is the
 * reader at FORWARD: the default it fills a removed field with must be valid
 * by the specification's rules, as for a schema file */
START_TEST(old_reader_default_checked_strictly)
{
    struct krt_avro_schema old, neu;
    struct krt_schema_reasons r = {0};
    struct krt_error err;
    struct krt_avro_parse_opts java = {.java_defaults = 1};
    ck_assert_msg(krt_avro_schema_parse_opts(
                      REC("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":{\"type\":"
                          "\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},\"default\":\"ZZ\"}"),
                      "registry", &java, &old, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":\"int\"}"), "new", &neu, &err), 0);
    ck_assert_int_eq(krt_schema_compat_level(KRT_LEVEL_FORWARD, &old, 1, &neu, &r, &err), 0);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(has_reason(&r, "/fields/1", "b", "default for it is not valid"));
    krt_schema_compat_free(&r);
    ck_assert_int_eq(krt_schema_compat_level(KRT_LEVEL_BACKWARD, &old, 1, &neu, &r, &err), 0);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
    krt_avro_schema_free(&old);
    krt_avro_schema_free(&neu);
}
END_TEST

START_TEST(promotions_one_way)
{
    static const char *const chain[] = {"int", "long", "float", "double"};
    char o[200], n[200];
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 4; k++) {
            snprintf(o, sizeof(o), REC("{\"name\":\"v\",\"type\":\"%s\"}"), chain[i]);
            snprintf(n, sizeof(n), REC("{\"name\":\"v\",\"type\":\"%s\"}"), chain[k]);
            struct krt_schema_reasons r = check_level(o, n, KRT_LEVEL_BACKWARD);
            ck_assert_msg((r.n == 0) == (k >= i), "%s -> %s", chain[i], chain[k]);
            if (k < i)
                ck_assert(has_reason(&r, "/fields/0", "v", "cannot be read as"));
            krt_schema_compat_free(&r);
        }
    struct krt_schema_reasons r = check_level(REC("{\"name\":\"v\",\"type\":\"string\"}"),
                                              REC("{\"name\":\"v\",\"type\":\"bytes\"}"),
                                              KRT_LEVEL_FULL);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
}
END_TEST

START_TEST(enum_symbol_removed_needs_enum_default)
{
    struct krt_schema_reasons r = check_level(
        REC("{\"name\":\"s\",\"type\":{\"type\":\"enum\",\"name\":\"S\",\"symbols\":[\"A\",\"B\",\"C\"]}}"),
        REC("{\"name\":\"s\",\"type\":{\"type\":\"enum\",\"name\":\"S\",\"symbols\":[\"A\",\"B\"]}}"),
        KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(has_reason(&r, "/fields/0", "s", "C removed"));
    krt_schema_compat_free(&r);
    r = check_level(
        REC("{\"name\":\"s\",\"type\":{\"type\":\"enum\",\"name\":\"S\",\"symbols\":[\"A\",\"B\",\"C\"]}}"),
        REC("{\"name\":\"s\",\"type\":{\"type\":\"enum\",\"name\":\"S\",\"symbols\":[\"A\",\"B\"],\"default\":\"A\"}}"),
        KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
}
END_TEST

START_TEST(union_branch_missing_and_widening)
{
    struct krt_schema_reasons r = check_level(REC("{\"name\":\"u\",\"type\":[\"null\",\"string\",\"int\"]}"),
                                              REC("{\"name\":\"u\",\"type\":[\"null\",\"string\"]}"),
                                              KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(has_reason(&r, "/fields/0", "u", "int matches no branch"));
    krt_schema_compat_free(&r);
    /* a plain type read as a union that holds it (or a promotion of it) */
    r = check_level(REC("{\"name\":\"u\",\"type\":\"int\"}"),
                    REC("{\"name\":\"u\",\"type\":[\"null\",\"long\"]}"), KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
    r = check_level(REC("{\"name\":\"u\",\"type\":\"int\"}"),
                    REC("{\"name\":\"u\",\"type\":[\"null\",\"long\"]}"), KRT_LEVEL_FORWARD);
    ck_assert_uint_eq(r.n, 2); /* null and long cannot be read as int */
    krt_schema_compat_free(&r);
}
END_TEST

START_TEST(names_aliases_namespaces_fixed)
{
    /* renamed record without alias */
    struct krt_schema_reasons r =
        check_level("{\"type\":\"record\",\"name\":\"A\",\"fields\":[]}",
                    "{\"type\":\"record\",\"name\":\"B\",\"fields\":[]}", KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(has_reason(&r, "/", "", "name changed"));
    krt_schema_compat_free(&r);
    r = check_level("{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"x\",\"fields\":[]}",
                    "{\"type\":\"record\",\"name\":\"B\",\"aliases\":[\"x.A\"],\"fields\":[]}",
                    KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
    /* only the namespace changed: unqualified names match (Avro's rule) */
    r = check_level("{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"x\",\"fields\":[]}",
                    "{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"y\",\"fields\":[]}",
                    KRT_LEVEL_FULL);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
    r = check_level(REC("{\"name\":\"h\",\"type\":{\"type\":\"fixed\",\"name\":\"H\",\"size\":16}}"),
                    REC("{\"name\":\"h\",\"type\":{\"type\":\"fixed\",\"name\":\"H\",\"size\":32}}"),
                    KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(has_reason(&r, "/fields/0", "h", "size 16 cannot be read as size 32"));
    krt_schema_compat_free(&r);
    /* field alias */
    r = check_level(REC("{\"name\":\"old_name\",\"type\":\"int\"}"),
                    REC("{\"name\":\"new_name\",\"aliases\":[\"old_name\"],\"type\":\"int\"}"),
                    KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 0);
    krt_schema_compat_free(&r);
}
END_TEST

START_TEST(nested_and_recursive)
{
    const char *old = "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
                      "{\"name\":\"v\",\"type\":\"int\"},"
                      "{\"name\":\"kids\",\"type\":{\"type\":\"array\",\"items\":\"Node\"}},"
                      "{\"name\":\"tags\",\"type\":{\"type\":\"map\",\"values\":\"long\"}}]}";
    const char *neu = "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
                      "{\"name\":\"v\",\"type\":\"long\"},"
                      "{\"name\":\"kids\",\"type\":{\"type\":\"array\",\"items\":\"Node\"}},"
                      "{\"name\":\"tags\",\"type\":{\"type\":\"map\",\"values\":\"int\"}}]}";
    struct krt_schema_reasons r = check_level(old, neu, KRT_LEVEL_BACKWARD);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(has_reason(&r, "/fields/2/values", "tags", "long cannot be read as int"));
    krt_schema_compat_free(&r);
}
END_TEST

START_TEST(transitive_checks_every_old)
{
    struct krt_avro_schema s[3];
    struct krt_error err;
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":\"int\"}"), "v1", &s[0], &err), 0);
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\",\"default\":1}"), "v2", &s[1], &err), 0);
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"b\",\"type\":\"int\"}"), "v3", &s[2], &err), 0);
    struct krt_schema_reasons r = {0};
    ck_assert_int_eq(krt_schema_compat_level(KRT_LEVEL_BACKWARD, s, 2, &s[2], &r, &err), 0);
    ck_assert_uint_eq(r.n, 0);
    ck_assert_int_eq(krt_schema_compat_level(KRT_LEVEL_BACKWARD_TRANSITIVE, s, 2, &s[2], &r, &err), 0);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(r.v[0].old_index, 0);
    ck_assert(has_reason(&r, "/fields/0", "b", "added without a default"));
    krt_schema_compat_free(&r);
    for (int i = 0; i < 3; i++)
        krt_avro_schema_free(&s[i]);
}
END_TEST

START_TEST(bad_schemas_are_named)
{
    struct krt_avro_schema s;
    struct krt_error err;
    ck_assert_int_eq(krt_avro_schema_parse("{\"type\":\"record\",\n\"name\":\"R\" \"fields\":[]}", "f.avsc", &s, &err), -1);
    ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "f.avsc:2:"));
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":\"int\",\"default\":\"notanint\"}"), "f.avsc", &s, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "f.avsc: /fields/0/default: field 'a'"));
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":[\"null\",\"int\"],\"default\":1}"), "f.avsc", &s, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "first branch"));
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":\"Nope\"}"), "f.avsc", &s, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "/fields/0/type: unknown type 'Nope'"));
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}"), "f.avsc", &s, &err), -1);
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}}"), "f.avsc", &s, &err), -1);
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},\"default\":\"abc\"}"), "f.avsc", &s, &err), -1);
    /* valid defaults of every kind */
    ck_assert_msg(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},\"default\":\"\\u00ffa\"},"
                                            "{\"name\":\"b\",\"type\":{\"type\":\"array\",\"items\":\"long\"},\"default\":[1,2]},"
                                            "{\"name\":\"c\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{\"k\":\"v\"}},"
                                            "{\"name\":\"d\",\"type\":[\"null\",\"int\"],\"default\":null},"
                                            "{\"name\":\"e\",\"type\":\"float\",\"default\":1}"),
                                        "f.avsc", &s, &err) == 0, "%s", err.msg);
    krt_avro_schema_free(&s);
}
END_TEST

/* hostile values: a huge count of empty items, and a map key that is not text */
START_TEST(hostile_values_fail_fast)
{
    struct krt_avro_schema w1, w2;
    struct krt_avro_decoder d;
    struct krt_error err;
    size_t used;
    json_t *out = NULL;
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}"), "w1", &w1, &err), 0);
    ck_assert_msg(krt_avro_decoder_new(&d, &w1, &w1, &err) == 0, "%s", err.msg);
    const unsigned char many[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0x00};
    ck_assert_int_eq(krt_avro_decode(&d, many, sizeof(many), &used, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "more than the 2147483639 items Java's Avro reads"));
    /* 2,000,000 nulls are legitimate (5 bytes): counted at once, and printed */
    const unsigned char two_million[] = {0x80, 0x92, 0xF4, 0x01, 0x00};
    ck_assert_msg(krt_avro_decode(&d, two_million, sizeof(two_million), &used, NULL, &err) == 0,
                  "%s", err.msg);
    ck_assert_uint_eq(used, sizeof(two_million));
    ck_assert_msg(krt_avro_decode(&d, two_million, sizeof(two_million), &used, &out, &err) == 0,
                  "%s", err.msg);
    ck_assert_uint_eq(json_array_size(json_object_get(out, "a")), 2000000);
    json_decref(out);
    out = NULL;
    const unsigned char minimum[] = {0x01};
    ck_assert_int_eq(krt_avro_decode(&d, minimum, sizeof(minimum), &used, NULL, &err), -1);
    krt_avro_decoder_free(&d);
    krt_avro_schema_free(&w1);
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}}"), "w2", &w2, &err), 0);
    ck_assert_msg(krt_avro_decoder_new(&d, &w2, &w2, &err) == 0, "%s", err.msg);
    const unsigned char badkey[] = {0x04, 0x02, 0xff, 0x02, 0x02, 0x61, 0x04, 0x00};
    ck_assert_int_eq(krt_avro_decode(&d, badkey, sizeof(badkey), &used, &out, &err), -1);
    ck_assert_ptr_null(out);
    /* a repeated key: the last value kept (Java's HashMap, fastavro's dict), counted
     * with and without output */
    const unsigned char twice[] = {0x04, 0x02, 0x61, 0x02, 0x02, 0x61, 0x04, 0x00};
    uint64_t rep = 0;
    ck_assert_int_eq(krt_avro_decode_stats(&d, twice, sizeof(twice), &used, &out, &rep, &err), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(out, "m"), "a")), 2);
    ck_assert_uint_eq(json_object_size(json_object_get(out, "m")), 1);
    ck_assert_uint_eq(rep, 1);
    json_decref(out);
    out = NULL;
    ck_assert_int_eq(krt_avro_decode_stats(&d, twice, sizeof(twice), &used, NULL, &rep, &err), 0);
    ck_assert_uint_eq(rep, 1);
    const unsigned char distinct[] = {0x04, 0x02, 0x61, 0x02, 0x02, 0x62, 0x04, 0x00};
    ck_assert_int_eq(krt_avro_decode_stats(&d, distinct, sizeof(distinct), &used, NULL, &rep, &err), 0);
    ck_assert_uint_eq(rep, 0);
    krt_avro_decoder_free(&d);
    krt_avro_schema_free(&w2);
    /* items of a byte or more: bounded by the bytes left, exactly */
    ck_assert_int_eq(krt_avro_schema_parse(REC("{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"int\"}}"), "w3", &w2, &err), 0);
    ck_assert_msg(krt_avro_decoder_new(&d, &w2, &w2, &err) == 0, "%s", err.msg);
    const unsigned char thousand[] = {0xD0, 0x0F, 0x00};
    ck_assert_int_eq(krt_avro_decode(&d, thousand, sizeof(thousand), &used, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "needs more than the 1 bytes left"));
    const unsigned char three[] = {0x06, 0x02, 0x04, 0x06, 0x00};
    ck_assert_int_eq(krt_avro_decode(&d, three, sizeof(three), &used, NULL, &err), 0);
    krt_avro_decoder_free(&d);
    krt_avro_schema_free(&w2);
}
END_TEST

/* The memory bound is per datum: 7 bytes, one array holding an array of
 * 2^24 - 1 empty records, built 3 GB of JSON while each collection stayed
 * under its own bound. Counted (no output) it decodes at once; printed it
 * fails at the datum's bound, naming it and the offset. The bound is lowered
 * to 4 MiB here (the default, 128 MiB, is seconds of work under ASan on a
 * loaded machine; krt-schema decode of the same 7 bytes peaked at 121 MB). */
START_TEST(datum_memory_bound_is_per_datum)
{
    struct krt_avro_schema w;
    struct krt_avro_decoder d;
    struct krt_error err;
    size_t used;
    json_t *out = NULL;
    ck_assert_int_eq(krt_avro_schema_parse("{\"type\":\"array\",\"items\":{\"type\":\"array\","
                                           "\"items\":{\"type\":\"record\",\"name\":\"E\","
                                           "\"fields\":[]}}}",
                                           "nest", &w, &err),
                     0);
    ck_assert_msg(krt_avro_decoder_new(&d, &w, &w, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(d.datum_max, KRT_AVRO_DATUM_MAX);
    ck_assert_uint_eq(KRT_AVRO_DATUM_MAX, 134217728);
    d.datum_max = 4 << 20;
    const unsigned char seven[] = {0x02, 0xFE, 0xFF, 0xFF, 0x0F, 0x00, 0x00};
    ck_assert_msg(krt_avro_decode(&d, seven, sizeof(seven), &used, NULL, &err) == 0, "%s",
                  err.msg);
    ck_assert_uint_eq(used, sizeof(seven));
    ck_assert_int_eq(krt_avro_decode(&d, seven, sizeof(seven), &used, &out, &err), -1);
    ck_assert_ptr_null(out);
    ck_assert_msg(strstr(err.msg, "datum larger than 4194304 bytes") &&
                      strstr(err.msg, "at byte 5 of the value"),
                  "%s", err.msg);
    /* one bound shared by sibling collections: an array of 10,000 empty
     * records (about 2.7 MB charged) is printed, two of them in one datum are
     * over the bound */
    const unsigned char two[] = {0x04, 0xA0, 0x9C, 0x01, 0x00, 0xA0, 0x9C, 0x01, 0x00, 0x00};
    ck_assert_int_eq(krt_avro_decode(&d, two, sizeof(two), &used, &out, &err), -1);
    ck_assert_msg(strstr(err.msg, "datum larger than 4194304 bytes"), "%s", err.msg);
    const unsigned char one[] = {0x02, 0xA0, 0x9C, 0x01, 0x00, 0x00};
    ck_assert_msg(krt_avro_decode(&d, one, sizeof(one), &used, &out, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(json_array_size(json_array_get(out, 0)), 10000);
    json_decref(out);
    krt_avro_decoder_free(&d);
    krt_avro_schema_free(&w);
}
END_TEST

/* registry schemas: Java's default rules (writer defaults are never used), references */
START_TEST(registry_schemas_java_defaults_and_references)
{
    struct krt_avro_schema s;
    struct krt_error err;
    struct krt_avro_parse_opts java = {.java_defaults = 1};
    const char *lax[] = {
        REC("{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"\u20ac\"}"),
        REC("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},\"default\":\"Z\"}"),
        REC("{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},\"default\":\"abc\"}"),
        REC("{\"name\":\"u\",\"type\":[\"null\",\"int\"],\"default\":1}"),
    };
    for (size_t i = 0; i < sizeof(lax) / sizeof(*lax); i++) {
        ck_assert_int_eq(krt_avro_schema_parse(lax[i], "reader", &s, &err), -1); /* strict */
        ck_assert_msg(krt_avro_schema_parse_opts(lax[i], "registry", &java, &s, &err) == 0,
                      "%zu: %s", i, err.msg);
        krt_avro_schema_free(&s);
    }
    /* what Java refuses stays refused */
    ck_assert_int_eq(krt_avro_schema_parse_opts(REC("{\"name\":\"a\",\"type\":\"int\",\"default\":\"x\"}"),
                                                "registry", &java, &s, &err), -1);
    ck_assert_int_eq(krt_avro_schema_parse_opts(REC("{\"name\":\"u\",\"type\":[\"null\",\"int\"],\"default\":\"x\"}"),
                                                "registry", &java, &s, &err), -1);
    /* references: the named types of the referenced schemas are known */
    const char *addr = "{\"type\":\"record\",\"name\":\"Addr\",\"namespace\":\"shop\","
                       "\"fields\":[{\"name\":\"city\",\"type\":\"string\"}]}";
    const char *cust = "{\"type\":\"record\",\"name\":\"Cust\",\"namespace\":\"shop\","
                       "\"fields\":[{\"name\":\"a\",\"type\":\"Addr\"}]}";
    ck_assert_int_eq(krt_avro_schema_parse(cust, "cust", &s, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "unknown type 'Addr'"));
    struct krt_avro_parse_opts refs = {.refs = &addr, .nrefs = 1, .java_defaults = 1};
    ck_assert_msg(krt_avro_schema_parse_opts(cust, "cust", &refs, &s, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(s.root->type, KRT_AVRO_RECORD);
    ck_assert_str_eq(s.root->fullname, "shop.Cust");
    ck_assert_str_eq(s.root->fields[0].type->fullname, "shop.Addr");
    ck_assert_str_eq(s.text, cust); /* the text is the referencing schema's own */
    krt_avro_schema_free(&s);
}
END_TEST

KRT_SUITE("schema", added_field_needs_default_backward, removed_field_without_old_default_forward,
          promotions_one_way, enum_symbol_removed_needs_enum_default,
          union_branch_missing_and_widening, names_aliases_namespaces_fixed, nested_and_recursive,
          transitive_checks_every_old, bad_schemas_are_named, hostile_values_fail_fast,
          datum_memory_bound_is_per_datum, old_reader_default_checked_strictly,
          registry_schemas_java_defaults_and_references)
