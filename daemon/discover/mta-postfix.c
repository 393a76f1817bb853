/* SPDX-License-Identifier: MIT */
/* Discover=postfix: the (address, HELO name) of every smtp(8) client service
 * of master.cf, as postconf(1) reports the configuration (Postfix's own
 * reading of main.cf and master.cf, $name expansion included). The rules
 * follow Postfix's smtp/smtp_connect.c smtp_connect_addr() and postconf(5)
 * (smtp_bind_address, inet_interfaces, inet_protocols, smtp_helo_name,
 * relayhost); see ../shared/mta-and-receivers.md section A. */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "hostname.h"
#include "log.h"
#include "macro.h"
#include "mta.h"
#include "strv.h"

/* main.cf parameters read with postconf -x (expanded). */
static const char * const postfix_parameters[] = {
        "myhostname", "smtp_helo_name", "smtp_bind_address", "smtp_bind_address6",
        "smtp_bind_address_enforce", "inet_interfaces", "inet_protocols", "relayhost",
        "default_transport", "relay_transport", "smtp_fallback_relay", "sender_dependent_relayhost_maps",
        "transport_maps", "content_filter", "multi_instance_directories", "multi_instance_name",
        "multi_instance_enable", NULL,
};

typedef struct Instance {
        const char *dir;
        char *label;            /* "" for the primary instance, else its name */
        char **main;            /* name, value, name, value, … */
        char **overrides;       /* "service/type/name", value, … (postconf -xP) */
        char **filters;         /* services that only serve as content filters on loopback */
} Instance;

static void instance_done(Instance *in) {
        free(in->label);
        strv_free(in->main);
        strv_free(in->overrides);
        strv_free(in->filters);
}

/* "name = value" lines into name, value pairs. */
static int parse_assignments(const char *text, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        for (const char *p = text; *p;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, n);
                char *eq;

                if (!line)
                        return -ENOMEM;
                p += n + (p[n] ? 1 : 0);
                eq = strstr(line, " =");
                if (!eq)
                        continue;
                *eq = 0;
                eq += 2;
                eq += strspn(eq, " ");
                if (strv_extend(&l, line) < 0 || strv_extend(&l, eq) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static const char *pairs_get(char * const *l, const char *name) {
        for (size_t i = 0; l && l[i] && l[i + 1]; i += 2)
                if (streq(l[i], name))
                        return l[i + 1];
        return NULL;
}

/* The effective value for one service: its -o override, else main.cf. */
static const char *effective(const Instance *in, const char *service, const char *name) {
        char key[512];
        const char *v;

        snprintf(key, sizeof key, "%s/%s", service, name);
        v = pairs_get(in->overrides, key);
        return v ? v : (pairs_get(in->main, name) ?: "");
}

/* Who set it, for a note: the service's -o, or main.cf (said once for all
 * the services that inherit it). */
static const char *setter(const Instance *in, const char *service, const char *name, const char *source,
                          char *buf, size_t size) {
        char key[512];

        snprintf(key, sizeof key, "%s/%s", service, name);
        if (pairs_get(in->overrides, key))
                return source;
        snprintf(buf, size, "Postfix%s%s main.cf", *in->label ? " " : "", in->label);
        return buf;
}

static int postconf_run(const Instance *in, MtaFound *f, char **args, CommandResult *ret) {
        char *argv[32] = { (char *) "postconf", (char *) "-c", (char *) in->dir };
        size_t n = 3;
        int r;

        for (char **a = args; *a && n < ELEMENTSOF(argv) - 1; a++)
                argv[n++] = *a;
        argv[n] = NULL;
        r = command_run(argv, MTA_COMMAND_TIMEOUT, ret);
        if (r == -ENOENT)
                return mta_note(f, "Discover=postfix: postconf is not installed (package postfix): "
                                "Postfix's identities are not watched"), -ENOENT;
        if (r < 0)
                return mta_note(f, "Discover=postfix: could not run postconf: %s", strerror(-r)), r;
        if (ret->timed_out || ret->status != 0) {
                _cleanup_free_ char *line = command_line(argv);
                if (ret->timed_out)
                        mta_note(f, "Discover=postfix: '%s' took longer than %llus and was stopped", line,
                                 (unsigned long long) (MTA_COMMAND_TIMEOUT / USEC_PER_SEC));
                else
                        mta_note(f, "Discover=postfix: '%s' failed: %s", line, ret->err ?: "no message");
                command_result_done(ret);
                return -EIO;
        }
        return 0;
}

static int postconf(const Instance *in, MtaFound *f, char **args, CommandResult *ret) {
        int r = postconf_run(in, f, args, ret);

        if (r < 0 && r != -ENOMEM)
                f->failed = true;
        return r;
}

/* postconf -M: the services whose command is smtp (not lmtp, which
 * delivers to a local store), as "name/type". */
static int smtp_services(const Instance *in, MtaFound *f, char ***ret) {
        _cleanup_(command_result_done) CommandResult res = {};
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = postconf(in, f, (char *[]) { (char *) "-M", NULL }, &res);
        if (r < 0)
                return r;
        for (char *save = NULL, *line = strtok_r(res.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *field[8], *fsave = NULL, *p = line;
                size_t n = 0;

                for (char *w = strtok_r(p, " \t", &fsave); w && n < 8; w = strtok_r(NULL, " \t", &fsave))
                        field[n++] = w;
                if (n < 8 || !streq(field[7], "smtp"))
                        continue;
                char *s = NULL;
                if (strextendf(&s, "%s/%s", field[0], field[1]) < 0 || strv_push(&l, s) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* A next hop on this host: [127.0.0.1]:10024, localhost:10025, [::1]. */
static bool nexthop_is_loopback(const char *nexthop) {
        _cleanup_free_ char *host = NULL;
        Address a;
        bool mx;

        if (relay_nexthop_parse(nexthop, &host, &mx) < 0)
                return false;
        if (streq(host, "localhost"))
                return true;
        return address_parse(host, &a, NULL) >= 0 && address_scope(&a) == ADDRESS_LOOPBACK;
}

/* content_filter = transport:nexthop, in main.cf or as an smtpd -o: a
 * transport that hands mail to a filter on this host is not a way out. */
static int find_filters(Instance *in) {
        char * const *lists[] = { in->main, in->overrides };

        for (size_t k = 0; k < ELEMENTSOF(lists); k++)
                for (size_t i = 0; lists[k] && lists[k][i] && lists[k][i + 1]; i += 2) {
                        const char *name = strrchr(lists[k][i], '/');
                        const char *value = lists[k][i + 1], *colon = strchr(value, ':');
                        if (!streq(name ? name + 1 : lists[k][i], "content_filter") || !colon ||
                            !nexthop_is_loopback(colon + 1))
                                continue;
                        _cleanup_free_ char *t = strndup(value, (size_t) (colon - value));
                        if (!t || (!strv_contains(in->filters, t) && strv_extend(&in->filters, t) < 0))
                                return -ENOMEM;
                }
        return 0;
}

/* The transport of "transport:nexthop" (default_transport, relay_transport,
 * content_filter; "error" alone has no colon). */
static const char *transport_of(const char *value, char *buf, size_t size) {
        snprintf(buf, size, "%.*s", (int) strcspn(value, ":"), value);
        return buf;
}

/* Whether master.cf has an smtp(8) client transport of that name. */
static bool smtp_transport(char * const *services, const char *name) {
        size_t n = strlen(name);

        for (char * const *s = services; s && *s; s++)
                if (strncmp(*s, name, n) == 0 && streq(*s + n, "/unix"))
                        return true;
        return false;
}

/* A service named like a content filter's transport hands mail to the
 * filter on this host; it is a way out all the same when it is also the
 * transport of mail to other hosts (content_filter = smtp:[127.0.0.1]:10024
 * with the default default_transport = smtp: the re-injected mail leaves
 * through it). */
static bool filter_only(const Instance *in, const char *service) {
        const char *carriers[] = { "default_transport", "relay_transport" };
        size_t n = strcspn(service, "/");
        bool filter = false;
        char t[256];

        for (char **f = in->filters; f && *f; f++)
                filter = filter || (strlen(*f) == n && strncmp(*f, service, n) == 0);
        for (size_t i = 0; filter && i < ELEMENTSOF(carriers); i++) {
                transport_of(pairs_get(in->main, carriers[i]) ?: "", t, sizeof t);
                filter = !(strlen(t) == n && strncmp(t, service, n) == 0);
        }
        return filter;
}

static const char *instance_source(const Instance *in, const char *service, char *buf, size_t size) {
        const char *slash = strchr(service, '/');
        int len = slash ? (int) (slash - service) : (int) strlen(service);

        if (*in->label)
                snprintf(buf, size, "postfix:%s/%.*s", in->label, len, service);
        else
                snprintf(buf, size, "postfix:%.*s", len, service);
        return buf;
}

/* "all", "ipv4", "ipv6", "ipv4, ipv6": whether family is among them. */
static bool protocols_allow(const char *protocols, int family) {
        const char *want = family == AF_INET ? "ipv4" : "ipv6";
        _cleanup_free_ char *copy = strdup(protocols);

        if (!copy)
                return false;
        for (char *save = NULL, *w = strtok_r(copy, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save))
                if (streq(w, "all") || streq(w, want))
                        return true;
        return false;
}

/* The addresses of one family a host name of inet_interfaces stands for,
 * as Postfix finds them: the system's resolver (inet_addr_host(), through
 * getaddrinfo(): /etc/hosts, then DNS, as nsswitch.conf says). Adds them
 * to *n, the last in *ret. */
static void interface_name(const char *name, int family, size_t *n, Address *ret) {
        struct addrinfo *list = NULL, hints = { .ai_family = family, .ai_socktype = SOCK_STREAM };

        if (getaddrinfo(name, NULL, &hints, &list) != 0)
                return;         /* Postfix stops with "fatal: config variable inet_interfaces" */
        for (struct addrinfo *i = list; i; i = i->ai_next) {
                Address a = { .family = family };
                if (family == AF_INET)
                        a.in = ((struct sockaddr_in *) i->ai_addr)->sin_addr;
                else
                        a.in6 = ((struct sockaddr_in6 *) i->ai_addr)->sin6_addr;
                if (*n == 0 || !address_equal(&a, ret))
                        (*n)++;
                *ret = a;
        }
        freeaddrinfo(list);
}

/* inet_interfaces with exactly one non-loopback address of the family
 * (written as an address, or as a host name such as $myhostname resolving
 * to one): Postfix binds to it (postconf(5) inet_interfaces;
 * own_inet_addr.c). */
static bool single_interface(const char *interfaces, int family, Address *ret) {
        _cleanup_free_ char *copy = strdup(interfaces);
        size_t n = 0;
        Address a;

        if (!copy)
                return false;
        for (char *save = NULL, *w = strtok_r(copy, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save)) {
                size_t len = strlen(w);
                if (w[0] == '[' && w[len - 1] == ']') {
                        w[len - 1] = 0;
                        w++;
                }
                if (streq(w, "all"))
                        return false;
                if (address_parse(w, &a, NULL) >= 0) {
                        if (a.family == family) {
                                n++;
                                *ret = a;
                        }
                } else if (!streq(w, "loopback-only") && hostname_is_valid(w))
                        interface_name(w, family, &n, ret);
        }
        return n == 1 && address_scope(ret) != ADDRESS_LOOPBACK;
}

/* The HELO name as postconf -x expanded it; one printable word, or NULL.
 * source: who set it. */
static const char *usable_helo(MtaFound *f, const char *source, const char *helo) {
        if (strchr(helo, '$')) {
                mta_note(f, "%s: smtp_helo_name '%s' could not be expanded: its HELO name is not checked",
                         source, QUOTE(helo));
                return NULL;
        }
        for (const unsigned char *p = (const unsigned char *) helo; *p; p++)
                if (*p < ' ' || *p >= 0x7f) {
                        mta_note(f, "%s: smtp_helo_name '%s' holds a character that is not printable ASCII: "
                                 "its HELO name is not checked", source, QUOTE(helo));
                        return NULL;
                }
        if (strchr(helo, ' '))
                mta_note(f, "%s: smtp_helo_name '%s' holds a space: Postfix sends it as it is, and "
                         "receivers see an invalid HELO", source, QUOTE(helo));
        return *helo ? helo : NULL;
}

/* The bound address of one service and family, per smtp_connect_addr(). */
static int service_family(const Instance *in, const Config *c, MtaFound *f, const char *service,
                          const char *source, int family) {
        const char *bind = effective(in, service, family == AF_INET ? "smtp_bind_address" : "smtp_bind_address6");
        const char *param = family == AF_INET ? "smtp_bind_address" : "smtp_bind_address6";
        char s[ADDRESS_STRING_MAX], helo_by[256], bind_by[256];
        const char *helo = usable_helo(f, setter(in, service, "smtp_helo_name", source, helo_by, sizeof helo_by),
                                       effective(in, service, "smtp_helo_name"));
        const char *by = setter(in, service, param, source, bind_by, sizeof bind_by);
        _cleanup_free_ char *b = strdup(bind);
        Address a;

        if (!b)
                return -ENOMEM;
        if (b[0] == '[' && b[strlen(b) - 1] == ']') {
                b[strlen(b) - 1] = 0;
                memmove(b, b + 1, strlen(b));
        }
        if (*b && !streq(b, "0.0.0.0") && !streq(b, "::")) {
                if (address_parse(b, &a, NULL) < 0 || a.family != family)
                        return mta_note(f, "%s: %s = %s is not a numerical IPv%c address: Postfix's smtp client "
                                        "stops with \"fatal: bad %s parameter\" and sends nothing", by, param,
                                        QUOTE(bind), family == AF_INET ? '4' : '6', param);
                if (address_is_local(&a))
                        return identity_list_add(&f->ids, &a, helo, source);
                if (strcaseeq(effective(in, service, "smtp_bind_address_enforce"), "yes"))
                        return mta_note(f, "%s: %s = %s is not configured on any interface of this host: "
                                        "with smtp_bind_address_enforce = yes Postfix defers all its mail",
                                        by, param, address_to_string(&a, s));
                mta_note(f, "%s: %s = %s is not configured on any interface of this host: Postfix logs "
                         "\"bind %s: Cannot assign requested address\" and sends from the kernel's choice "
                         "instead, which is watched", by, param, address_to_string(&a, s), s);
        } else if (!*b && single_interface(effective(in, service, "inet_interfaces"), family, &a))
                return identity_list_add(&f->ids, &a, helo, source);
        /* Unbound: the kernel picks the source, as Discover=route finds it. */
        return discover_route(c, family, helo, source, &f->ids, &f->notes);
}

/* Each next hop of value as a relay entry "SOURCE PROTOCOLS NEXTHOP": the
 * relay is reached over the families inet_protocols allows. */
static int add_relays(const Instance *in, MtaFound *f, const char *value, const char *source) {
        _cleanup_free_ char *copy = strdup(value);
        bool v4 = protocols_allow(pairs_get(in->main, "inet_protocols") ?: "all", AF_INET);
        bool v6 = protocols_allow(pairs_get(in->main, "inet_protocols") ?: "all", AF_INET6);

        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *w = strtok_r(copy, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save)) {
                char *entry = NULL;
                if (strextendf(&entry, "%s %s %s", source, v4 && v6 ? "all" : v4 ? "ipv4" : "ipv6", w) < 0 ||
                    strv_push(&f->relays, entry) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Where mail to other hosts goes: relayhost, default_transport =
 * smtp:[relay], smtp_fallback_relay make the Internet see the relay.
 * Returns 1 when the instance's own smtp services are not a way out: all
 * its mail goes through a relay, or none leaves at all (default_transport
 * = error, the local-only idiom, is no relay). */
static int instance_relays(const Instance *in, char * const *services, MtaFound *f) {
        const char *relayhost = pairs_get(in->main, "relayhost") ?: "";
        const char *transport = pairs_get(in->main, "default_transport") ?: "smtp";
        const char *fallback = pairs_get(in->main, "smtp_fallback_relay") ?: "";
        const char *maps = pairs_get(in->main, "transport_maps") ?: "";
        const char *colon = strchr(transport, ':');
        const char *prefix = *in->label ? in->label : "Postfix";
        char t[256];
        int r = 0;

        if (!smtp_transport(services, transport_of(transport, t, sizeof t))) {
                if (!*maps)
                        return mta_note(f, "%s: default_transport = %s is not an smtp transport and transport_maps "
                                        "is not set: Postfix sends no mail to other hosts, so nothing of it is "
                                        "watched", prefix, transport) < 0 ? -ENOMEM : 1;
                /* relayhost and smtp_fallback_relay serve the smtp
                 * transport, which only transport_maps may still choose */
                relayhost = fallback = "";
                colon = NULL;
        }
        const char *via = *relayhost ? relayhost : (colon && colon[1] ? colon + 1 : NULL);

        if (*(pairs_get(in->main, "sender_dependent_relayhost_maps") ?: ""))
                mta_note(f, "%s: sender_dependent_relayhost_maps is set: mail of the senders it lists leaves "
                         "from those relays, which are not watched", prefix);
        if (*maps)
                mta_note(f, "%s: transport_maps is set: destinations it sends to a relay see that relay, "
                         "which is not watched; every smtp service of master.cf is", prefix);
        if (*fallback) {
                mta_note(f, "%s: mail that cannot be delivered directly goes to smtp_fallback_relay %s: "
                         "watching its addresses too", prefix, fallback);
                r = add_relays(in, f, fallback, "postfix:relayhost");
        }
        if (r >= 0 && via) {
                mta_note(f, "%s sends its mail through the relay %s (%s): receivers see the relay's address "
                         "and HELO name, not this host's; watching the relay's addresses", prefix, via,
                         *relayhost ? "relayhost" : "default_transport");
                r = add_relays(in, f, via, "postfix:relayhost");
                if (r >= 0)
                        r = 1;
        }
        return r;
}

static int instance_load(Instance *in, MtaFound *f) {
        _cleanup_(command_result_done) CommandResult main_cf = {}, overrides = {};
        char *args[ELEMENTSOF(postfix_parameters) + 1] = { (char *) "-x" };
        int r;

        for (size_t i = 0; postfix_parameters[i]; i++)
                args[i + 1] = (char *) postfix_parameters[i];
        r = postconf(in, f, args, &main_cf);
        if (r >= 0)
                r = postconf(in, f, (char *[]) { (char *) "-xP", NULL }, &overrides);
        if (r < 0)
                return r;
        r = parse_assignments(main_cf.out, &in->main);
        if (r >= 0)
                r = parse_assignments(overrides.out, &in->overrides);
        return r < 0 ? r : find_filters(in);
}

/* One instance whose configuration instance_load() read. */
static int instance_discover(Instance *in, const Config *c, MtaFound *f) {
        _cleanup_strv_free_ char **services = NULL;
        int r;

        r = smtp_services(in, f, &services);
        if (r < 0)
                return r;
        r = instance_relays(in, services, f);
        if (r != 0)
                return r;
        for (char **s = services; s && *s; s++) {
                char source[256];

                instance_source(in, *s, source, sizeof source);
                if (filter_only(in, *s)) {
                        log_debug("%s only hands mail to a content filter on this host, not a way out", source);
                        continue;
                }
                for (int family = AF_INET; family != AF_UNSPEC; family = family == AF_INET ? AF_INET6 : AF_UNSPEC) {
                        if (!protocols_allow(effective(in, *s, "inet_protocols"), family))
                                continue;
                        r = service_family(in, c, f, *s, source, family);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int postfix_discover(const Config *c, MtaFound *f) {
        Instance primary = { .dir = c->postfix_config ?: POSTFIX_CONFIG_DEFAULT };
        _cleanup_free_ char *dirs = NULL;
        int r;

        primary.label = strdup("");
        if (!primary.label)
                return -ENOMEM;
        r = instance_load(&primary, f);
        if (r >= 0)
                r = instance_discover(&primary, c, f);
        if (r >= 0 || r == -EIO) {
                /* postmulti(1): secondary instances live in these directories. */
                dirs = strdup(pairs_get(primary.main, "multi_instance_directories") ?: "");
                if (!dirs)
                        r = -ENOMEM;
        }
        instance_done(&primary);
        if (r == -ENOMEM)
                return r;
        for (char *save = NULL, *d = dirs ? strtok_r(dirs, " ,\t", &save) : NULL; d; d = strtok_r(NULL, " ,\t", &save)) {
                Instance in = { .dir = d };
                const char *slash = strrchr(d, '/');
                in.label = strdup(slash ? slash + 1 : d);
                if (!in.label)
                        return -ENOMEM;
                r = instance_load(&in, f);
                if (r >= 0 && strcaseeq(pairs_get(in.main, "multi_instance_enable") ?: "", "no"))
                        log_debug("Postfix instance %s is disabled (multi_instance_enable = no)", d);
                else if (r >= 0) {
                        const char *name = pairs_get(in.main, "multi_instance_name");
                        if (name && *name) {
                                free(in.label);
                                in.label = strdup(name);
                        }
                        r = in.label ? instance_discover(&in, c, f) : -ENOMEM;
                }
                instance_done(&in);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}
