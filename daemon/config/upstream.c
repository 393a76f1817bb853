/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hostname.h"
#include "macro.h"

/* The values of [Resolver] Servers= and [Watch] Whoami=: where to send
 * DNS questions. */

int upstream_parse(const char *s, Upstream *ret) {
        _cleanup_free_ char *host = NULL;
        const char *port = NULL, *close;
        unsigned long p = 53;
        Upstream u = {};

        if (isempty(s))
                return -EINVAL;
        if (s[0] == '[') {
                close = strchr(s, ']');
                if (!close)
                        return -EINVAL;
                host = strndup(s + 1, (size_t) (close - s - 1));
                if (close[1] == ':')
                        port = close + 2;
                else if (close[1] != 0)
                        return -EINVAL;
        } else if (strchr(s, ':') == strrchr(s, ':') && strchr(s, ':')) {
                /* exactly one colon: IPv4 with a port */
                host = strndup(s, (size_t) (strchr(s, ':') - s));
                port = strchr(s, ':') + 1;
        } else
                host = strdup(s);
        if (!host)
                return -ENOMEM;
        if (address_parse(host, &u.address, NULL) < 0)
                return -EINVAL;
        if (s[0] == '[' && u.address.family != AF_INET6)
                return -EINVAL;
        if (port) {
                char *e;
                if (!isdigit((unsigned char) *port))
                        return -EINVAL;
                errno = 0;
                p = strtoul(port, &e, 10);
                if (errno || *e || p == 0 || p > 65535)
                        return -EINVAL;
        }
        u.port = (uint16_t) p;
        *ret = u;
        return 0;
}

typedef struct WhoamiPreset {
        const char *label;
        WhoamiStyle style;
        const char *name;
        const char *server4;
        const char *server6;
} WhoamiPreset;

/* receivers.md: each provider answers with the address it saw the query come
 * from; Google's must be asked directly, not through a recursive resolver. */
static const WhoamiPreset whoami_presets[] = {
        { "opendns",    WHOAMI_ADDRESS,   "myip.opendns.com",        "208.67.222.222", "2620:0:ccc::2" },
        { "google",     WHOAMI_TXT,       "o-o.myaddr.l.google.com", "216.239.32.10",  "2001:4860:4802:32::a" },
        { "cloudflare", WHOAMI_TXT_CHAOS, "whoami.cloudflare",       "1.1.1.1",        "2606:4700:4700::1111" },
};

void whoami_source_done(WhoamiSource *w) {
        free(w->label);
        free(w->name);
}

static int whoami_from_preset(const WhoamiPreset *p, WhoamiSource *ret) {
        WhoamiSource w = { .style = p->style };

        w.label = strdup(p->label);
        w.name = strdup(p->name);
        if (!w.label || !w.name) {
                whoami_source_done(&w);
                return -ENOMEM;
        }
        (void) upstream_parse(p->server4, &w.server4);
        (void) upstream_parse(p->server6, &w.server6);
        *ret = w;
        return 0;
}

int whoami_source_from_preset(const char *label, WhoamiSource *ret) {
        for (size_t i = 0; i < ELEMENTSOF(whoami_presets); i++)
                if (streq(label, whoami_presets[i].label))
                        return whoami_from_preset(&whoami_presets[i], ret);
        return -ENOENT;
}

/* NAME/TYPE[/CLASS]@SERVER[,SERVER]: e.g. whoami.cloudflare/TXT/CH@1.1.1.1 */
int whoami_source_parse_custom(const char *text, WhoamiSource *ret, const char **ret_why) {
        _cleanup_free_ char *copy = strdup(text);
        WhoamiSource w = {};
        char *at, *type, *klass, *servers, *sv, *save = NULL;

        if (!copy)
                return -ENOMEM;
        at = strchr(copy, '@');
        type = strchr(copy, '/');
        if (!at || !type || type > at) {
                *ret_why = "expected a preset (opendns, google, cloudflare) or NAME/TYPE[/CLASS]@SERVER";
                return -EINVAL;
        }
        *at = 0;
        *type++ = 0;
        servers = at + 1;
        klass = strchr(type, '/');
        if (klass)
                *klass++ = 0;
        if (!hostname_is_valid(copy)) {
                *ret_why = "the name is not a valid host name";
                return -EINVAL;
        }
        if ((strcaseeq(type, "A") || strcaseeq(type, "AAAA")) && (!klass || strcaseeq(klass, "IN")))
                w.style = WHOAMI_ADDRESS;
        else if (strcaseeq(type, "TXT") && (!klass || strcaseeq(klass, "IN")))
                w.style = WHOAMI_TXT;
        else if (strcaseeq(type, "TXT") && klass && strcaseeq(klass, "CH"))
                w.style = WHOAMI_TXT_CHAOS;
        else {
                *ret_why = "the type must be A, AAAA or TXT, the class IN or CH (TXT only)";
                return -EINVAL;
        }
        for (sv = strtok_r(servers, ",", &save); sv; sv = strtok_r(NULL, ",", &save)) {
                Upstream u;
                if (upstream_parse(sv, &u) < 0) {
                        *ret_why = "a server is not ADDRESS, ADDRESS:PORT or [IPV6]:PORT";
                        return -EINVAL;
                }
                if (u.address.family == AF_INET)
                        w.server4 = u;
                else
                        w.server6 = u;
        }
        if (w.server4.address.family == 0 && w.server6.address.family == 0) {
                *ret_why = "no server given after '@'";
                return -EINVAL;
        }
        w.label = strdup(text);
        w.name = strdup(copy);
        if (!w.label || !w.name) {
                whoami_source_done(&w);
                return -ENOMEM;
        }
        *ret = w;
        return 0;
}

