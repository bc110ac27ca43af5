/* fuzz_topic: the --topic TOPIC[:P,...] selection (libcore/meta.c). */
#include "fuzz_input.h"
#include "meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    struct krt_selection sel = {0};
    struct krt_error err;
    if (!krt_selection_add(&sel, s, &err)) {
        /* what was read must be in range: partitions are int32 >= 0 */
        for (int i = 0; i < sel.n; i++)
            for (int j = 0; j < sel.v[i].nparts; j++)
                if (sel.v[i].parts[j] < 0)
                    abort();
    }
    krt_selection_free(&sel);
    free(s);
    return 0;
}
