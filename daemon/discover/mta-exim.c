/* SPDX-License-Identifier: MIT */
/* Discover=exim: the interface and helo_data of every smtp transport, as
 * "exim -bP transport NAME" prints them (Exim's own reading of its
 * configuration, macros resolved). Exim spec, "The smtp transport":
 * interface is a list whose first address of each family is bound, else the
 * system chooses; helo_data defaults to $primary_hostname. A value that is
 * still an expansion is only known when mail is sent: reported, not guessed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "log.h"
#include "macro.h"
#include "mta.h"
#include "strv.h"

/* Debian names the binary exim4; upstream and others, exim. */
static const char * const exim_binaries[] = { "exim4", "exim" };

typedef struct Exim {
        const Config *config;
        MtaFound *found;
        const char *binary;
        char *primary_hostname;
} Exim;

static int exim_run_once(Exim *e, char **args, CommandResult *ret) {
        char *argv[16];
        size_t n = 0;
        int r = -ENOENT;

        for (size_t b = 0; b < ELEMENTSOF(exim_binaries); b++) {
                if (e->binary && !streq(e->binary, exim_binaries[b]))
                        continue;
                n = 0;
                argv[n++] = (char *) exim_binaries[b];
                if (e->config->exim_config) {
                        argv[n++] = (char *) "-C";
                        argv[n++] = e->config->exim_config;
                }
                for (char **a = args; *a && n < ELEMENTSOF(argv) - 1; a++)
                        argv[n++] = *a;
                argv[n] = NULL;
                r = command_run(argv, MTA_COMMAND_TIMEOUT, ret);
                if (r != -ENOENT) {
                        e->binary = exim_binaries[b];
                        break;
                }
        }
        if (r == -ENOENT)
                return mta_note(e->found, "Discover=exim: neither exim4 nor exim is installed: Exim's identities "
                                "are not watched"), r;
        if (r < 0)
                return mta_note(e->found, "Discover=exim: could not run %s: %s", argv[0], strerror(-r)), r;
        if (ret->timed_out || ret->status != 0) {
                _cleanup_free_ char *line = command_line(argv);
                if (ret->timed_out)
                        mta_note(e->found, "Discover=exim: '%s' took longer than %llus and was stopped", line,
                                 (unsigned long long) (MTA_COMMAND_TIMEOUT / USEC_PER_SEC));
                else
                        mta_note(e->found, "Discover=exim: '%s' failed: %s", line,
                                 ret->err ?: (ret->out && *ret->out ? ret->out : "no message"));
                command_result_done(ret);
                return -EIO;
        }
        return 0;
}

static int exim_run(Exim *e, char **args, CommandResult *ret) {
        int r = exim_run_once(e, args, ret);

        if (r < 0 && r != -ENOMEM)
                e->found->failed = true;
        return r;
}

/* "name = value" → value, from exim -bP output (the first line that sets it). */
static char *option_value(const char *text, const char *name) {
        size_t n = strlen(name);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, name, n) == 0 && strncmp(p + n, " =", 2) == 0) {
                        const char *v = p + n + 2;
                        v += strspn(v, " ");
                        return strndup(v, strcspn(v, "\n"));
                }
        return NULL;
}

static bool is_expansion(const char *s) {
        return strchr(s, '$') != NULL;
}

/* The next item of an Exim list (Exim spec, "Lists"): items end at the
 * separator, except where it is doubled, which stands for the character
 * itself ("2001::db8::::25" is 2001:db8::25 in a ':' list); leading and
 * trailing white space goes. Writes the item into *p's buffer in place;
 * NULL at the end. */
static char *list_next(char **p, char sep) {
        char *item = *p, *out;

        if (!item)
                return NULL;
        item += strspn(item, " \t");
        out = item;
        for (char *in = item;; in++) {
                if (*in == sep && in[1] == sep) {
                        *out++ = *in++;
                        continue;
                }
                if (*in == sep || !*in) {
                        *p = *in ? in + 1 : NULL;
                        *out = 0;
                        while (out > item && strchr(" \t", out[-1]))
                                *--out = 0;
                        return item;
                }
                *out++ = *in;
        }
}

/* The interface option: "<; a ; b" changes the separator from ':' (Exim
 * spec, "Changing list separators"). The first address of family, if any. */
static int first_interface(const char *value, int family, Address *ret, const char **ret_bad) {
        char sep = ':';
        _cleanup_free_ char *copy = NULL;
        const char *p = value + strspn(value, " ");

        if (p[0] == '<' && p[1] && !strchr(" \t", p[1])) {
                sep = p[1];
                p += 2;
        }
        copy = strdup(p);
        if (!copy)
                return -ENOMEM;
        for (char *rest = copy, *w; (w = list_next(&rest, sep)); ) {
                Address a;
                if (!*w)
                        continue;
                if (address_parse(w, &a, NULL) < 0) {
                        *ret_bad = value;
                        continue;
                }
                if (a.family == family) {
                        *ret = a;
                        return 1;
                }
        }
        return 0;
}

static const char *transport_helo(Exim *e, const char *source, const char *helo_data) {
        if (!helo_data || streq(helo_data, "$primary_hostname") || streq(helo_data, "${primary_hostname}"))
                return e->primary_hostname;
        if (is_expansion(helo_data)) {
                mta_note(e->found, "%s: helo_data is computed when mail is sent (%s): its HELO name is dynamic "
                         "and not checked", source, QUOTE(helo_data));
                return NULL;
        }
        return *helo_data ? helo_data : e->primary_hostname;
}

static int transport_discover(Exim *e, const char *name) {
        _cleanup_(command_result_done) CommandResult res = {};
        _cleanup_free_ char *driver = NULL, *protocol = NULL, *interface = NULL, *helo_data = NULL;
        char source[256];
        const char *helo;
        int r;

        r = exim_run(e, (char *[]) { (char *) "-bP", (char *) "transport", (char *) name, NULL }, &res);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        driver = option_value(res.out, "driver");
        protocol = option_value(res.out, "protocol");
        /* driver = lmtp, or smtp with protocol = lmtp: a local store, not a way out */
        if (!driver || !streq(driver, "smtp") || (protocol && streq(protocol, "lmtp")))
                return 0;
        snprintf(source, sizeof source, "exim:%s", name);
        interface = option_value(res.out, "interface");
        helo_data = option_value(res.out, "helo_data");
        helo = transport_helo(e, source, helo_data);
        if (interface && is_expansion(interface)) {
                mta_note(e->found, "%s: interface is computed when mail is sent (%s): the kernel's choice is "
                         "watched instead", source, QUOTE(interface));
                interface = mfree(interface);
        }
        for (int family = AF_INET; family != AF_UNSPEC; family = family == AF_INET ? AF_INET6 : AF_UNSPEC) {
                const char *bad = NULL;
                Address a;

                r = interface ? first_interface(interface, family, &a, &bad) : 0;
                if (r < 0)
                        return r;
                if (bad && family == AF_INET)
                        mta_note(e->found, "%s: interface = %s holds something that is not an IP address",
                                 source, QUOTE(bad));
                if (r > 0 && !address_is_local(&a)) {
                        char s[ADDRESS_STRING_MAX];
                        mta_note(e->found, "%s: interface %s is not configured on any interface of this host: "
                                 "Exim's connections from it fail", source, address_to_string(&a, s));
                        continue;
                }
                r = r > 0 ? identity_list_add(&e->found->ids, &a, helo, source)
                          : discover_route(e->config, family, helo, source, &e->found->ids, &e->found->notes);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The hosts of a manualroute router's first rule for every domain
 * (route_list "* HOSTS OPTIONS; …", or a fixed route_data "HOSTS
 * OPTIONS"), into relay entries: a host list is a ':' list whose items may
 * carry a port ("smarthost.isp.example::587", Debian's DCsmarthost). The
 * relay's addresses are what Exim connects to (byname or bydns: the host's
 * A and AAAA, no MX). 1: a relay was found. */
static int router_relays(Exim *e, const char *router, const char *hosts) {
        _cleanup_free_ char *copy = strndup(hosts, strcspn(hosts, " \t"));
        char source[256];
        int n = 0;

        if (!copy)
                return -ENOMEM;
        if (copy[0] == '"' && strlen(copy) > 1 && copy[strlen(copy) - 1] == '"') {
                copy[strlen(copy) - 1] = 0;
                memmove(copy, copy + 1, strlen(copy));
        }
        snprintf(source, sizeof source, "exim:%s", router);
        for (char *rest = copy, *h; (h = list_next(&rest, ':')); ) {
                char *entry = NULL;
                size_t len = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":");
                if (!*h)
                        continue;
                if (strextendf(&entry, "%s all %s%.*s%s", source, h[0] == '[' ? "" : "[", (int) len, h,
                               h[0] == '[' ? "" : "]") < 0 || strv_push(&e->found->relays, entry) < 0)
                        return -ENOMEM;
                n++;
        }
        return n > 0;
}

/* The route of a manualroute router for every domain, or NULL. */
static const char *catch_all_route(const char *route_list, const char *route_data) {
        if (route_data && *route_data)
                return route_data;
        if (!route_list)
                return NULL;
        const char *p = route_list + strspn(route_list, " \t");
        if (p[0] != '*' || (p[1] != ' ' && p[1] != '\t'))
                return NULL;
        return p + 1 + strspn(p + 1, " \t");
}

/* The routers in order: the first that sends remote mail decides. A
 * dnslookup router delivers directly; a manualroute router whose route
 * covers every domain (Debian's "smarthost": route_list = * HOST::PORT
 * byname) sends everything to a relay, like Postfix's relayhost: receivers
 * see the relay. 1: all mail goes through a relay. */
static int exim_relays(Exim *e) {
        _cleanup_(command_result_done) CommandResult list = {};
        int r;

        r = exim_run(e, (char *[]) { (char *) "-bP", (char *) "router_list", NULL }, &list);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (char *save = NULL, *name = strtok_r(list.out, " \n", &save); name; name = strtok_r(NULL, " \n", &save)) {
                _cleanup_(command_result_done) CommandResult res = {};
                _cleanup_free_ char *driver = NULL, *route_list = NULL, *route_data = NULL;

                r = exim_run(e, (char *[]) { (char *) "-bP", (char *) "router", name, NULL }, &res);
                if (r < 0)
                        return r == -ENOMEM ? r : 0;
                driver = option_value(res.out, "driver");
                if (driver && streq(driver, "dnslookup"))
                        return 0;
                if (!driver || !streq(driver, "manualroute"))
                        continue;
                route_list = option_value(res.out, "route_list");
                route_data = option_value(res.out, "route_data");
                const char *route = catch_all_route(route_list, route_data);
                if (!route)
                        continue;       /* some domains only, like Postfix's transport_maps */
                if (is_expansion(route)) {
                        mta_note(e->found, "exim:%s: the relay is computed when mail is sent (%s): it is not "
                                 "watched", name, QUOTE(route));
                        return 0;
                }
                r = router_relays(e, name, route);
                if (r > 0)
                        mta_note(e->found, "Exim sends its mail through the smarthost %.*s (router %s): receivers "
                                 "see the relay's address and HELO name, not this host's; watching the relay's "
                                 "addresses", (int) strcspn(route, " \t"), route, name);
                return r;
        }
        return 0;
}

int exim_discover(const Config *c, MtaFound *f) {
        _cleanup_(command_result_done) CommandResult list = {}, primary = {};
        Exim e = { .config = c, .found = f };
        int r;

        r = exim_run(&e, (char *[]) { (char *) "-bP", (char *) "primary_hostname", NULL }, &primary);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        e.primary_hostname = option_value(primary.out, "primary_hostname");
        r = exim_relays(&e);
        if (r != 0) {
                free(e.primary_hostname);
                return r < 0 ? r : 0;
        }
        r = exim_run(&e, (char *[]) { (char *) "-bP", (char *) "transport_list", NULL }, &list);
        if (r < 0) {
                free(e.primary_hostname);
                return r == -ENOMEM ? r : 0;
        }
        for (char *save = NULL, *t = strtok_r(list.out, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
                r = transport_discover(&e, t);
                if (r < 0)
                        break;
        }
        free(e.primary_hostname);
        return r < 0 ? r : 0;
}
