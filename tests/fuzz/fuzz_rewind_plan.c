/* fuzz_rewind_plan: krt-rewind --from-file (Kafka's CSV or krt's JSON plan
 * and undo files), through krt_planfile_read(). */
#include "fuzz_input.h"
#include "rewind.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the first byte picks the suffix, in case the reader looks at it */
    const char *path = fuzz_file(data, size, size && (data[0] & 1) ? ".json" : ".csv");
    struct krt_planfile f = {0};
    struct krt_error err;
    if (!krt_planfile_read(path, &f, &err))
        krt_planfile_free(&f);
    return 0;
}
