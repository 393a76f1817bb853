/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "advice.h"
#include "macro.h"
#include "strv.h"

bool advice_postfix_ipv6(const Verdict *v6, char * const *v6_sources, const Verdict *v4, char * const *v4_sources) {
        if (v6->address.family != AF_INET6 || v6->kind != VERDICT_FAIL || v4->address.family != AF_INET ||
            (v4->kind != VERDICT_PASS && v4->kind != VERDICT_WARN))
                return false;
        for (char * const *s = v6_sources; s && *s; s++)
                if (strncmp(*s, "postfix:", 8) == 0 && !streq(*s, "postfix:relayhost") && strv_contains(v4_sources, *s))
                        return true;
        return false;
}
