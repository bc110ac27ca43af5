/* Unit tests of libcore/props: Java properties parsing and translation. */
#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "props.h"

START_TEST(parses_separators_comments_and_continuations)
{
    struct krt_props p = {0};
    struct krt_error err;
    const char *text = "# comment\n"
                       "! also a comment\n"
                       "a=1\n"
                       "b : 2\n"
                       "c 3\n"
                       "  d=with spaces  \n"
                       "long=one\\\n"
                       "     two\n"
                       "esc=tab\\there\\u0041\n"
                       "empty=\n";
    ck_assert_int_eq(krt_props_parse_string(text, "t.properties", &p, &err), 0);
    ck_assert_uint_eq(p.n, 7);
    ck_assert_str_eq(krt_props_get(&p, "a"), "1");
    ck_assert_str_eq(krt_props_get(&p, "b"), "2");
    ck_assert_str_eq(krt_props_get(&p, "c"), "3");
    ck_assert_str_eq(krt_props_get(&p, "d"), "with spaces  ");
    ck_assert_str_eq(krt_props_get(&p, "long"), "onetwo");
    ck_assert_str_eq(krt_props_get(&p, "esc"), "tab\thereA");
    ck_assert_str_eq(krt_props_get(&p, "empty"), "");
    ck_assert_int_eq(p.items[4].line, 7);
    krt_props_free(&p);
}
END_TEST

START_TEST(later_keys_win_and_crlf)
{
    struct krt_props p = {0};
    struct krt_error err;
    ck_assert_int_eq(krt_props_parse_string("k=1\r\nk=2\r\n", NULL, &p, &err), 0);
    ck_assert_str_eq(krt_props_get(&p, "k"), "2");
    krt_props_free(&p);
}
END_TEST

START_TEST(bad_unicode_escape_names_line)
{
    struct krt_props p = {0};
    struct krt_error err;
    ck_assert_int_eq(krt_props_parse_string("a=1\nb=\\u12\n", "f.prop", &p, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "f.prop:2"));
    ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    krt_props_free(&p);
}
END_TEST

START_TEST(x_arg_needs_equals)
{
    struct krt_props p = {0};
    struct krt_error err;
    ck_assert_int_eq(krt_props_parse_kv("debug", &p, &err), -1);
    ck_assert_int_eq(err.code, KRT_ERR_USAGE);
    /* no '=': the secret after the key is never echoed */
    static const char *const typos[] = {"sasl.password:hunter2", "sasl.password hunter2",
                                        "sasl.password\thunter2", ":hunter2", "sasl.password"};
    for (size_t i = 0; i < sizeof(typos) / sizeof(*typos); i++) {
        ck_assert_int_eq(krt_props_parse_kv(typos[i], &p, &err), -1);
        ck_assert_int_eq(err.code, KRT_ERR_USAGE);
        ck_assert_msg(!strstr(err.msg, "hunter2"), "echoed: %s", err.msg);
    }
    ck_assert_ptr_nonnull(strstr(err.msg, "sasl.password"));
    ck_assert_int_eq(p.n, 0);
    ck_assert_int_eq(krt_props_parse_kv("a.b=c=d", &p, &err), 0);
    ck_assert_str_eq(krt_props_get(&p, "a.b"), "c=d");
    krt_props_free(&p);
}
END_TEST

START_TEST(jaas_plain_and_scram)
{
    char *u, *pw;
    struct krt_error err;
    ck_assert_int_eq(krt_jaas_parse("org.apache.kafka.common.security.plain.PlainLoginModule "
                                    "required username=\"alice\" password=\"p\\\"w;x\";",
                                    &u, &pw, &err),
                     0);
    ck_assert_str_eq(u, "alice");
    ck_assert_str_eq(pw, "p\"w;x");
    free(u);
    free(pw);
    ck_assert_int_eq(krt_jaas_parse("org.apache.kafka.common.security.scram.ScramLoginModule "
                                    "required\n username=bob\n password=\"s\";",
                                    &u, &pw, &err),
                     0);
    ck_assert_str_eq(u, "bob");
    ck_assert_str_eq(pw, "s");
    free(u);
    free(pw);
}
END_TEST

START_TEST(jaas_unknown_module_and_missing_password)
{
    char *u, *pw;
    struct krt_error err;
    ck_assert_int_eq(krt_jaas_parse("com.sun.security.auth.module.Krb5LoginModule required "
                                    "useKeyTab=true;",
                                    &u, &pw, &err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "Krb5LoginModule"));
    /* a password typed where the module goes is not echoed */
    ck_assert_int_eq(krt_jaas_parse("hunter2", &u, &pw, &err), -1);
    ck_assert_msg(!strstr(err.msg, "hunter2"), "echoed: %s", err.msg);
    ck_assert_int_eq(krt_jaas_parse("hunter2LoginModule\"x required;", &u, &pw, &err), -1);
    ck_assert_msg(!strstr(err.msg, "hunter2"), "echoed: %s", err.msg);
    ck_assert_int_eq(krt_jaas_parse("org.apache.kafka.common.security.plain.PlainLoginModule "
                                    "required username=\"a\";",
                                    &u, &pw, &err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "password"));
}
END_TEST

START_TEST(translates_sasl_config)
{
    struct krt_props j = {0}, r = {0};
    struct krt_error err;
    const char *text =
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n"
        "    username=\"ops\" password=\"secret-pw\";\n"
        "ssl.truststore.type=PEM\n"
        "ssl.truststore.location=/etc/ca.pem\n"
        "ssl.endpoint.identification.algorithm=\n";
    ck_assert_int_eq(krt_props_parse_string(text, "c.properties", &j, &err), 0);
    ck_assert_int_eq(krt_props_to_rdkafka(&j, &r, &err), 0);
    ck_assert_str_eq(krt_props_get(&r, "security.protocol"), "SASL_SSL");
    ck_assert_str_eq(krt_props_get(&r, "sasl.mechanisms"), "SCRAM-SHA-512");
    ck_assert_str_eq(krt_props_get(&r, "sasl.username"), "ops");
    ck_assert_str_eq(krt_props_get(&r, "sasl.password"), "secret-pw");
    ck_assert_str_eq(krt_props_get(&r, "ssl.ca.location"), "/etc/ca.pem");
    ck_assert_str_eq(krt_props_get(&r, "ssl.endpoint.identification.algorithm"), "none");
    ck_assert_ptr_null(krt_props_get(&r, "sasl.jaas.config"));
    krt_props_free(&j);
    krt_props_free(&r);
}
END_TEST

START_TEST(unmappable_key_is_named_with_line_and_no_value)
{
    struct krt_props j = {0}, r = {0};
    struct krt_error err;
    ck_assert_int_eq(krt_props_parse_string("security.protocol=SSL\n"
                                            "ssl.truststore.location=/x.jks\n"
                                            "ssl.truststore.password=hunter2\n",
                                            "c.properties", &j, &err),
                     0);
    ck_assert_int_eq(krt_props_to_rdkafka(&j, &r, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "c.properties:2"));
    ck_assert_ptr_nonnull(strstr(err.msg, "ssl.truststore.location"));
    ck_assert_ptr_null(strstr(err.msg, "hunter2"));
    krt_props_free(&j);
    krt_props_free(&r);

    ck_assert_int_eq(krt_props_parse_string("max.poll.records=5\n", "d.properties", &j, &err), 0);
    ck_assert_int_eq(krt_props_to_rdkafka(&j, &r, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "'max.poll.records'"));
    ck_assert_ptr_nonnull(strstr(err.msg, "d.properties:1"));
    krt_props_free(&j);
    krt_props_free(&r);
}
END_TEST

START_TEST(secret_keys)
{
    ck_assert(krt_props_is_secret("sasl.password"));
    ck_assert(krt_props_is_secret("sasl.jaas.config"));
    ck_assert(krt_props_is_secret("ssl.key.password"));
    ck_assert(!krt_props_is_secret("security.protocol"));
    ck_assert(krt_props_is_secret("SASL.PASSWORD"));
    ck_assert(krt_props_is_secret("sasl.oauthbearer.client.secret"));
    ck_assert(krt_props_is_secret("ssl.key.pem"));
    ck_assert(krt_props_is_secret("sasl.oauthbearer.config"));
    ck_assert(krt_props_is_secret("x.token"));
    ck_assert(krt_props_is_secret("aws.credentials"));
    ck_assert(!krt_props_is_secret("bootstrap.servers"));
}
END_TEST

KRT_SUITE("props", parses_separators_comments_and_continuations, later_keys_win_and_crlf,
          bad_unicode_escape_names_line, x_arg_needs_equals, jaas_plain_and_scram,
          jaas_unknown_module_and_missing_password, translates_sasl_config,
          unmappable_key_is_named_with_line_and_no_value, secret_keys)
