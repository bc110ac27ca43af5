/* fuzz_jread: the one typed reader (libcore/jread.c): a file read whole,
 * parsed as JSON, checked against a table of keys and read with the typed
 * getters, as the plan and request readers use it. */
#include "fuzz_input.h"
#include "jread.h"

static const struct krt_jfield fields[] = {
    {"version", KRT_J_INT, KRT_J_REQUIRED, 1, 1},
    {"mode", KRT_J_STRING, 0, 0, 0},
    {"rate", KRT_J_NUMBER, KRT_J_NULLABLE, 0, 1000000},
    {"partitions", KRT_J_ARRAY, 0, 0, 0},
    {"offsets", KRT_J_OBJECT, 0, 0, 0},
    {"flag", KRT_J_BOOL, 0, 0, 0},
    {"any", KRT_J_ANY, 0, 0, 0},
    {NULL, KRT_J_ANY, 0, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".json");
    struct krt_error err;
    char *buf;
    size_t len;
    if (!krt_file_read(path, 1 << 20, &buf, &len, &err))
        free(buf);
    json_t *root;
    if (krt_jread_file(path, 1 << 20, &root, &err))
        return 0;
    if (!krt_jread_object(path, "", root, fields, &err)) {
        static const char *const modes[] = {"all", "before-offset", "before-datetime", NULL};
        int mode;
        const char *str;
        json_t *v = json_object_get(root, "mode");
        if (v)
            (void)krt_jread_enum(path, "/mode", v, modes, &mode, &err);
        if ((v = json_object_get(root, "mode")))
            (void)krt_jread_string(path, "/mode", v, 1, &str, &err);
        char jp[256];
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(root, "partitions"), i, e)
        {
            int32_t p;
            (void)krt_jread_partition(path, krt_jpath_index(jp, sizeof(jp), "/partitions", i), e,
                                      &p, &err);
        }
        const char *key;
        json_object_foreach(json_object_get(root, "offsets"), key, e)
        {
            int32_t p;
            int64_t off;
            double d;
            krt_jpath_key(jp, sizeof(jp), "/offsets", key);
            (void)krt_jread_partition_key(path, jp, key, &p, &err);
            (void)krt_jread_offset(path, jp, e, 1, &off, &err);
            (void)krt_jread_int(path, jp, e, INT64_MIN, INT64_MAX, &off, &err);
            (void)krt_jread_number(path, jp, e, -1e300, 1e300, &d, &err);
        }
    }
    json_decref(root);
    return 0;
}
