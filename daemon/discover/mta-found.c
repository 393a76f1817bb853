/* SPDX-License-Identifier: MIT */
/* What the MTA backends (mta-postfix.c, mta-exim.c) and their dispatcher
 * (mta.c) share, beneath all three: the findings, notes, a relay's next
 * hop, whether an address is this host's. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "mta-found.h"
#include "strv.h"

void mta_found_done(MtaFound *f) {
        identity_list_done(&f->ids);
        strv_free(f->notes);
        strv_free(f->relays);
        *f = (MtaFound) {};
}

int mta_note(MtaFound *f, const char *fmt, ...) {
        char *note = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&note, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (strv_contains(f->notes, note)) {
                free(note);
                return 0;
        }
        return strv_push(&f->notes, note);
}

int relay_nexthop_parse(const char *nexthop, char **ret_host, bool *ret_mx) {
        const char *p = nexthop;
        size_t n;

        if (p[0] == '[') {
                const char *end = strchr(p, ']');
                if (!end || end == p + 1)
                        return -EINVAL;
                p++;
                n = (size_t) (end - p);
                if (n >= 5 && strncasecmp(p, "ipv6:", 5) == 0) {
                        p += 5;
                        n -= 5;
                }
                *ret_mx = false;
        } else {
                n = strcspn(p, ":");
                *ret_mx = true;
        }
        if (n == 0)
                return -EINVAL;
        *ret_host = strndup(p, n);
        return *ret_host ? 0 : -ENOMEM;
}

bool address_is_local(const Address *a) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t len;
        int fd, r;

        if (a->family == AF_INET) {
                sa.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_addr = a->in };
                len = sizeof sa.in;
        } else {
                sa.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_addr = a->in6 };
                len = sizeof sa.in6;
        }
        fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return true;    /* cannot tell: do not cry wolf */
        r = bind(fd, &sa.sa, len);
        r = r < 0 ? errno : 0;
        close(fd);
        return r != EADDRNOTAVAIL;
}
