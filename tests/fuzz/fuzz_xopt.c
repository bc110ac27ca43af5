/* fuzz_xopt: the -X key=value option (and --timeout) as every tool parses
 * them, through krt_common_option() (libcore/opts.c, props.c). */
#include "fuzz_input.h"
#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    struct krt_common c;
    struct krt_error err;
    krt_common_init(&c, "krt-fuzz", 0, NULL);
    (void)krt_common_option(&c, 'X', s, &err);
    (void)krt_common_option(&c, KRT_OPT_TIMEOUT, s, &err);
    krt_common_free(&c);
    free(s);
    return 0;
}
