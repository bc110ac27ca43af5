/* fuzz_resend_request: krt-resend request files, through
 * krt_resend_request_read(). */
#include "fuzz_input.h"
#include "resend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".json");
    struct krt_resend rs;
    struct krt_error err;
    memset(&rs, 0, sizeof(rs));
    (void)krt_resend_request_read(path, NULL, &rs.req, &err);
    krt_resend_free(&rs);
    return 0;
}
