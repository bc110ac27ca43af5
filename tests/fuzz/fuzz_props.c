/* fuzz_props: the Java properties parser (--command-config) and its
 * translation to librdkafka properties (libcore/props.c). */
#include "fuzz_input.h"
#include "props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    struct krt_props java = {0}, rd = {0};
    struct krt_error err;
    if (!krt_props_parse_string(s, "fuzz.properties", &java, &err)) {
        for (size_t i = 0; i < java.n; i++)
            (void)krt_props_get(&java, java.items[i].key);
        (void)krt_props_to_rdkafka(&java, &rd, &err);
    }
    krt_props_free(&java);
    krt_props_free(&rd);
    free(s);
    return 0;
}
