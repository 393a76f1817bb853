/* SPDX-License-Identifier: MIT */
/* The keys of ptrwatchd.conf: one table, and a parser for each kind of value. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "config-parse.h"
#include "hostname.h"
#include "strv.h"

static int next_word(const char **p, char **ret) {
        const char *b;
        size_t n;

        *p += strspn(*p, " \t");
        if (!**p) {
                *ret = NULL;
                return 0;
        }
        b = *p;
        n = strcspn(b, " \t");
        *p = b + n;
        *ret = strndup(b, n);
        return *ret ? 1 : -ENOMEM;
}

/* Each list key appends; an empty assignment empties the list (systemd rule). */
static int grow(void **array, size_t *n, size_t size, ParseState *s, const char *key) {
        void *a;

        if (*n >= CONFIG_LIST_MAX)
                return config_fail(s, "%s= has more than %d entries", key, CONFIG_LIST_MAX);
        a = reallocarray(*array, *n + 1, size);
        if (!a)
                return -ENOMEM;
        *array = a;
        return 0;
}

static int parse_address_list(ParseState *s, const char *key, const char *value, Address **array, size_t *n) {
        const char *p = value;
        int r;

        if (isempty(value)) {
                free(*array);
                *array = NULL;
                *n = 0;
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *w = NULL;
                const char *why;
                Address a;

                r = next_word(&p, &w);
                if (r <= 0)
                        return r;
                if (address_parse(w, &a, &why) < 0)
                        return config_fail(s, "%s=: '%s' is not an IP address: %s", key, QUOTE(w), why);
                /* duplicates go once the files are read (validate() sorts
                 * and drops them): one sort, not a scan per address */
                r = grow((void **) array, n, sizeof(Address), s, key);
                if (r < 0)
                        return r;
                (*array)[(*n)++] = a;
        }
}

/* A HELO name as the configuration may give it: one word of printable
 * characters. Whether receivers accept it is a verdict's business
 * (helo-invalid and friends), not the configuration's. */
static int parse_helo_word(ParseState *s, const char *key, const char *value, char **ret) {
        _cleanup_free_ char *h = NULL;

        if (strlen(value) > HOSTNAME_MAX + 2)   /* room for an address literal's brackets */
                return config_fail(s, "%s=: HELO name '%s' is longer than %d characters", key, QUOTE(value), HOSTNAME_MAX);
        for (const unsigned char *p = (const unsigned char *) value; *p; p++)
                if (*p <= ' ' || *p >= 0x7f)
                        return config_fail(s, "%s=: HELO name '%s' holds a space or another character that "
                                           "is not printable ASCII: a HELO name is one word", key, QUOTE(value));
        if (!*value)
                return config_fail(s, "%s=: empty HELO name", key);
        /* as the MTA sends it: receivers quote it back as it is */
        h = strdup(value);
        if (!h)
                return -ENOMEM;
        *ret = TAKE_PTR(h);
        return 0;
}

/* ADDRESS or ADDRESS/HELONAME. */
static int parse_addresses(ParseState *s, const char *key, const char *value, void *data) {
        IdentityList *l = &s->config->addresses;
        const char *p = value;
        int r;

        if (isempty(value)) {
                identity_list_done(l);
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *w = NULL, *helo = NULL;
                const char *why;
                char *slash;
                Address a;

                r = next_word(&p, &w);
                if (r <= 0)
                        return r;
                slash = strchr(w, '/');
                if (slash) {
                        *slash = 0;
                        if (slash[1] && strspn(slash + 1, "0123456789") == strlen(slash + 1))
                                return config_fail(s, "%s=: '%s/%s': a prefix length is not an address; "
                                                   "after '/' comes the HELO name", key, QUOTE(w), slash + 1);
                        r = parse_helo_word(s, key, slash + 1, &helo);
                        if (r < 0)
                                return r;
                }
                if (address_parse(w, &a, &why) < 0)
                        return config_fail(s, "%s=: '%s' is not an IP address: %s", key, QUOTE(w), why);
                if (l->n >= CONFIG_LIST_MAX)
                        return config_fail(s, "%s= has more than %d entries", key, CONFIG_LIST_MAX);
                /* duplicates go when the addresses are folded: one sort, not
                 * a scan per address */
                r = identity_list_add(l, &a, helo, "static");
                if (r < 0)
                        return r;
        }
}

static int parse_route_probes(ParseState *s, const char *key, const char *value, void *data) {
        if (s->config->route_probes_default) {
                s->config->route_probes_default = false;
                s->config->n_route_probes = 0;
        }
        return parse_address_list(s, key, value, &s->config->route_probes, &s->config->n_route_probes);
}

static int parse_discover(ParseState *s, const char *key, const char *value, void *data) {
        const char *p = value;
        unsigned flags = 0;
        bool none = false;
        int r;

        if (isempty(value)) {
                s->config->discover = DISCOVER_ROUTE;
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *w = NULL;

                r = next_word(&p, &w);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (streq(w, "route"))
                        flags |= DISCOVER_ROUTE;
                else if (streq(w, "dns"))
                        flags |= DISCOVER_DNS;
                else if (streq(w, "postfix"))
                        flags |= DISCOVER_POSTFIX;
                else if (streq(w, "exim"))
                        flags |= DISCOVER_EXIM;
                else if (streq(w, "none"))
                        none = true;
                else
                        return config_fail(s, "Discover=: unknown method '%s' (expected route, dns, postfix, exim or none)", QUOTE(w));
        }
        if (none && flags)
                return config_fail(s, "Discover=: 'none' cannot be combined with other methods");
        s->config->discover = flags;
        return 0;
}

static int parse_helo_name(ParseState *s, const char *key, const char *value, void *data) {
        char *h = NULL;
        int r;

        if (!isempty(value)) {
                r = parse_helo_word(s, key, value, &h);
                if (r < 0)
                        return r;
        }
        free(s->config->helo_name);
        s->config->helo_name = h;
        return 0;
}

static int parse_servers(ParseState *s, const char *key, const char *value, void *data) {
        Config *c = s->config;
        const char *p = value;
        int r;

        if (isempty(value)) {
                free(c->servers);
                c->servers = NULL;
                c->n_servers = 0;
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *w = NULL;
                Upstream u;

                r = next_word(&p, &w);
                if (r <= 0)
                        return r;
                if (upstream_parse(w, &u) < 0)
                        return config_fail(s, "Servers=: '%s' is not ADDRESS, ADDRESS:PORT or [IPV6]:PORT", QUOTE(w));
                r = grow((void **) &c->servers, &c->n_servers, sizeof(Upstream), s, key);
                if (r < 0)
                        return r;
                c->servers[c->n_servers++] = u;
        }
}

void config_whoami_clear(Config *c) {
        for (size_t i = 0; i < c->n_whoami; i++)
                whoami_source_done(&c->whoami[i]);
        free(c->whoami);
        c->whoami = NULL;
        c->n_whoami = 0;
}

static int parse_whoami(ParseState *s, const char *key, const char *value, void *data) {
        Config *c = s->config;
        const char *p = value;
        int r;

        if (isempty(value) || c->whoami_default) {
                config_whoami_clear(c);
                c->whoami_default = false;
        }
        for (;;) {
                _cleanup_free_ char *w = NULL;
                const char *why = NULL;
                WhoamiSource src;

                r = next_word(&p, &w);
                if (r <= 0)
                        return r;
                r = whoami_source_from_preset(w, &src);
                if (r == -ENOENT)
                        r = whoami_source_parse_custom(w, &src, &why);
                if (r == -EINVAL)
                        return config_fail(s, "Whoami=: '%s': %s", QUOTE(w), why);
                if (r < 0)
                        return r;
                r = grow((void **) &c->whoami, &c->n_whoami, sizeof(WhoamiSource), s, key);
                if (r < 0) {
                        whoami_source_done(&src);
                        return r;
                }
                c->whoami[c->n_whoami++] = src;
        }
}

/* The time-span keys and their bounds. Timeout: getdns takes whole
 * milliseconds and refuses 0; an answer is not worth waiting 5min for.
 * MaxTTL and ServeStale: failing_since + ServeStale and now + MaxTTL must
 * never wrap, and RFC 8767 §5 suggests serving stale for 1 to 3 days. */
typedef struct TimespanLimit {
        const char *key;
        usec_t min, max;
        const char *min_text, *max_text, *why_max;
} TimespanLimit;

static const TimespanLimit timespan_limits[] = {
        { "Timeout",    USEC_PER_MSEC, 5 * USEC_PER_MINUTE, "1ms", "5min", "a DNS answer is not worth waiting longer" },
        { "MinTTL",     1,             30 * USEC_PER_DAY,   NULL,  "30d",  "the longest a verdict is cached" },
        { "MaxTTL",     1,             30 * USEC_PER_DAY,   NULL,  "30d",  "the longest a verdict is cached" },
        { "ServeStale", 0,             30 * USEC_PER_DAY,   NULL,  "30d",  "a month-old answer is no longer news" },
        { "ConfirmDelay", 0,           USEC_PER_HOUR,       NULL,  "1h",   "a problem must not wait longer to be told" },
};

static int parse_timespan_value(ParseState *s, const char *key, const char *value, void *data) {
        const TimespanLimit *l = NULL;
        usec_t *u = data, v;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(timespan_limits); i++)
                if (streq(timespan_limits[i].key, key))
                        l = &timespan_limits[i];
        assert(l);

        r = timespan_parse(value, &v);
        if (r < 0 && r != -ERANGE)
                return config_fail(s, "%s=: '%s' is not a time span (e.g. 30s, 5min, 1h, 1d)", key, QUOTE(value));
        if (r == -ERANGE || v > l->max)
                return config_fail(s, "%s=: '%s' is longer than %s: %s", key, QUOTE(value), l->max_text, l->why_max);
        if (v == 0 && l->min > 0)
                return config_fail(s, "%s=: must be greater than zero", key);
        if (v < l->min)
                return config_fail(s, "%s=: '%s' is shorter than %s", key, QUOTE(value), l->min_text);
        if (streq(key, "MinTTL") || streq(key, "MaxTTL")) {
                SetAt *at = streq(key, "MinTTL") ? &s->min_ttl_at : &s->max_ttl_at;
                snprintf(at->where, sizeof at->where, "%s:%u", s->file, s->line);
                at->seq = ++s->seq;
        }
        *u = v;
        return 0;
}

static int parse_textfile(ParseState *s, const char *key, const char *value, void *data) {
        Config *c = s->config;
        size_t n = strlen(value);

        if (isempty(value)) {
                c->prometheus_textfile = mfree(c->prometheus_textfile);
                return 0;
        }
        if (value[0] != '/' || value[n - 1] == '/' || strpbrk(value, " \t") || n > PATH_MAX)
                return config_fail(s, "%s=: '%.64s' is not an absolute file name", key, value);
        if (n < 6 || !streq(value + n - 5, ".prom"))
                return config_fail(s, "%s=: '%.64s' does not end in .prom, which node_exporter's textfile collector reads",
                            key, value);
        free(c->prometheus_textfile);
        c->prometheus_textfile = strdup(value);
        return c->prometheus_textfile ? 0 : -ENOMEM;
}

/* PostfixConfig= (a directory) and EximConfig= (a file): absolute paths,
 * handed to postconf -c and exim -C. Empty: Postfix's /etc/postfix, Exim's
 * own choice. */
static int parse_mta_path(ParseState *s, const char *key, const char *value, void *data) {
        char **field = data;
        bool postfix = streq(key, "PostfixConfig");
        size_t n = strlen(value);

        free(*field);
        *field = NULL;
        if (isempty(value))
                *field = postfix ? strdup(POSTFIX_CONFIG_DEFAULT) : NULL;
        else if (value[0] != '/' || strpbrk(value, " \t") || n > PATH_MAX || (value[n - 1] == '/' && !postfix))
                return config_fail(s, "%s=: '%s' is not an absolute %s name", key, QUOTE(value),
                                   postfix ? "directory" : "file");
        else
                *field = strdup(value);
        return (*field || (!postfix && isempty(value))) ? 0 : -ENOMEM;
}

/* SpamAssassinRules=: the directory of the rule files ptrwatch evaluates;
 * empty: SpamAssassin's own choice (its newest sa-update directory, else
 * /usr/share/spamassassin). RspamdHfilter=: the hfilter.lua whose maps it
 * reads; empty: Rspamd's. */
static int parse_rules_path(ParseState *s, const char *key, const char *value, void *data) {
        char **field = data;

        free(*field);
        *field = NULL;
        if (isempty(value))
                return 0;
        if (value[0] != '/' || strpbrk(value, " \t") || strlen(value) > PATH_MAX)
                return config_fail(s, "%s=: '%s' is not an absolute path", key, QUOTE(value));
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

static int parse_max_in_flight(ParseState *s, const char *key, const char *value, void *data) {
        unsigned long v;
        char *e;

        errno = 0;
        v = isdigit((unsigned char) value[0]) ? strtoul(value, &e, 10) : 0;
        if (!isdigit((unsigned char) value[0]) || errno || *e || v < 1 || v > MAX_IN_FLIGHT_LIMIT)
                return config_fail(s, "%s=: '%s' is not a whole number from 1 to %d", key, QUOTE(value), MAX_IN_FLIGHT_LIMIT);
        s->config->max_in_flight = (unsigned) v;
        return 0;
}


static const ConfigKey config_keys[] = {
        { "Watch",    "Addresses",   parse_addresses,       0 },
        { "Watch",    "Discover",    parse_discover,        0 },
        { "Watch",    "HeloName",    parse_helo_name,       0 },
        { "Watch",    "RouteProbes", parse_route_probes,    0 },
        { "Watch",    "Whoami",      parse_whoami,          0 },
        { "Watch",    "PostfixConfig", parse_mta_path,      offsetof(Config, postfix_config) },
        { "Watch",    "EximConfig",  parse_mta_path,        offsetof(Config, exim_config) },
        { "Resolver", "Servers",     parse_servers,         0 },
        { "Resolver", "Timeout",     parse_timespan_value,  offsetof(Config, timeout) },
        { "Resolver", "MaxInFlight", parse_max_in_flight,   0 },
        { "Cache",    "MinTTL",      parse_timespan_value,  offsetof(Config, min_ttl) },
        { "Cache",    "MaxTTL",      parse_timespan_value,  offsetof(Config, max_ttl) },
        { "Cache",    "ServeStale",  parse_timespan_value,  offsetof(Config, serve_stale) },
        { "Cache",    "ConfirmDelay", parse_timespan_value, offsetof(Config, confirm_delay) },
        { "Export",   "PrometheusTextfile", parse_textfile,  0 },
        { "Receivers", "SpamAssassinRules", parse_rules_path, offsetof(Config, spamassassin_rules) },
        { "Receivers", "RspamdHfilter", parse_rules_path, offsetof(Config, rspamd_hfilter) },
};

const ConfigKey *config_key_find(const char *section, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (streq(config_keys[i].section, section) && streq(config_keys[i].key, key))
                        return &config_keys[i];
        return NULL;
}

bool config_section_is_known(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (streq(config_keys[i].section, name))
                        return true;
        return false;
}
