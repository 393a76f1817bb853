/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "resolvconf.h"

int resolv_conf_parse(const char *path, Upstream **ret, size_t *ret_n) {
        _cleanup_free_ char *line = NULL;
        Upstream *list = NULL;
        size_t n = 0, cap = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (getline(&line, &cap, f) > 0) {
                char word[16], value[128];
                Upstream u = { .port = 53 };

                if (sscanf(line, " %15s %127s", word, value) != 2 || !streq(word, "nameserver"))
                        continue;
                /* "fe80::1%eth0": a scoped server cannot be our upstream; skip it. */
                if (address_parse(value, &u.address, NULL) < 0)
                        continue;
                Upstream *l = reallocarray(list, n + 1, sizeof(Upstream));
                if (!l) {
                        free(list);
                        fclose(f);
                        return -ENOMEM;
                }
                list = l;
                list[n++] = u;
        }
        fclose(f);
        *ret = list;
        *ret_n = n;
        return 0;
}
