/* fuzz_trunc_plan: krt-truncate --plan files, through krt_trunc_plan_read(). */
#include "fuzz_input.h"
#include "truncate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".json");
    struct krt_trunc_plan p;
    struct krt_error err;
    memset(&p, 0, sizeof(p));
    if (!krt_trunc_plan_read(path, &p, &err))
        krt_trunc_plan_free(&p);
    return 0;
}
