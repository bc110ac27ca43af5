/* Unit tests of libcore/notify: which URLs --notify accepts, and how a URL
 * (which may carry a token) is shown. No network. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "check_main.h"
#include "notify.h"

START_TEST(only_http_and_https)
{
    struct krt_error e;
    ck_assert_int_eq(krt_notify_check("http://127.0.0.1:8080/hook", &e), 0);
    ck_assert_int_eq(krt_notify_check("HTTPS://hooks.example/x?token=1", &e), 0);
    const char *bad[] = {"file:///etc/passwd", "ftp://h/x", "gopher://h/", "dict://h:11211/",
                         "not a url", "", "http://", NULL};
    for (int i = 0; bad[i]; i++) {
        krt_error_clear(&e);
        ck_assert_msg(krt_notify_check(bad[i], &e) == -1, "'%s' accepted", bad[i]);
        ck_assert_int_eq(e.code, KRT_ERR_USAGE);
    }
}
END_TEST

START_TEST(redacted_to_scheme_host_port)
{
    char buf[200];
    const char *url = "https://user:pa55@hooks.example:8443/t0ken/path?token=s3cret#frag";
    krt_notify_redact(url, buf, sizeof(buf));
    ck_assert_str_eq(buf, "https://hooks.example:8443/…");
    const char *secrets[] = {"pa55", "user", "t0ken", "s3cret", "frag"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        ck_assert_ptr_null(strstr(buf, secrets[i]));
    krt_notify_redact("http://h/x", buf, sizeof(buf));
    ck_assert_str_eq(buf, "http://h/…");
    struct krt_error e;
    krt_error_clear(&e);
    ck_assert_int_eq(krt_notify_check("ftp://u:pw@h/sec?ret", &e), -1);
    ck_assert_ptr_null(strstr(e.msg, "pw"));
    ck_assert_ptr_null(strstr(e.msg, "sec"));
}
END_TEST

KRT_SUITE("notify", only_http_and_https, redacted_to_scheme_host_port)
