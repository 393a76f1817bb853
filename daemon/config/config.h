/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "address.h"
#include "identity.h"
#include "timeutil.h"

#define CONFIG_FILE_DEFAULT "/etc/ptrwatch/ptrwatchd.conf"
#define POSTFIX_CONFIG_DEFAULT "/etc/postfix"

typedef enum DiscoverFlags {
        DISCOVER_ROUTE = 1 << 0,
        DISCOVER_DNS   = 1 << 1,
        DISCOVER_POSTFIX = 1 << 2,
        DISCOVER_EXIM  = 1 << 3,
} DiscoverFlags;

/* What depends on the host's own addresses and routes, and is found again
 * when they change: the kernel's choice (route), and the MTA's bind
 * addresses, which count only once configured on an interface, with the
 * kernel's choice as their fallback. */
#define DISCOVER_FOLLOWS_ADDRESSES (DISCOVER_ROUTE | DISCOVER_POSTFIX | DISCOVER_EXIM)

typedef struct Upstream {
        Address address;
        uint16_t port;
} Upstream;

typedef enum WhoamiStyle {
        WHOAMI_ADDRESS,         /* OpenDNS: A/AAAA of a name, answered with our address */
        WHOAMI_TXT,             /* Google: TXT in class IN */
        WHOAMI_TXT_CHAOS,       /* Cloudflare: TXT in class CH */
} WhoamiStyle;

typedef struct WhoamiSource {
        char *label;            /* preset name, or the text of a custom entry */
        WhoamiStyle style;
        char *name;
        Upstream server4;       /* family AF_UNSPEC when not given */
        Upstream server6;
} WhoamiSource;

typedef struct Config {
        /* [Watch] */
        IdentityList addresses;         /* Addresses=: source "static", HELO name when given */
        unsigned discover;              /* DiscoverFlags */
        char *helo_name;                /* the default HELO name of static, route and dns identities */
        char *postfix_config;           /* PostfixConfig=, a directory */
        char *spamassassin_rules;       /* [Receivers] SpamAssassinRules=, a directory; NULL: SpamAssassin's own */
        char *rspamd_hfilter;           /* [Receivers] RspamdHfilter=, a file; NULL: Rspamd's own */
        char *exim_config;              /* EximConfig=, a file; NULL: Exim's own default */
        char *prometheus_textfile;      /* [Export] PrometheusTextfile=, NULL: none */
        Address *route_probes;          /* destinations for Discover=route */
        size_t n_route_probes;
        WhoamiSource *whoami;           /* sources for Discover=dns */
        size_t n_whoami;
        /* Lists that still hold their built-in default, which the first
         * assignment replaces rather than extends. */
        bool route_probes_default;
        bool whoami_default;

        /* [Resolver] */
        Upstream *servers;              /* none: from /etc/resolv.conf */
        size_t n_servers;
        usec_t timeout;
        unsigned max_in_flight;

        /* [Cache] */
        usec_t min_ttl;
        usec_t max_ttl;
        usec_t serve_stale;
        usec_t confirm_delay;           /* a new fail is asked again this much later before it is announced */
} Config;

#define MAX_IN_FLIGHT_LIMIT 4096

/* Built-in defaults. */
int config_init(Config *c);
void config_done(Config *c);

/* Read path, then path.d/ *.conf in lexical order. A missing file is an error
 * only when must_exist is set. On error, *ret_error says "FILE:LINE: what is
 * wrong". Warnings (unknown keys) go to the log. */
int config_load(Config *c, const char *path, bool must_exist, char **ret_error);

/* Parse one buffer as if it were the file "name" (for tests and fuzzing). */
int config_parse_string(Config *c, const char *name, const char *text, char **ret_error);

/* "127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1" */
/* upstream.c: ADDRESS, ADDRESS:PORT or [IPV6]:PORT (port 53 by default). */
int upstream_parse(const char *s, Upstream *ret);
/* A preset (opendns, google, cloudflare), or -ENOENT. */
int whoami_source_from_preset(const char *label, WhoamiSource *ret);
/* NAME/TYPE[/CLASS]@SERVER[,SERVER]; -EINVAL with *ret_why on error. */
int whoami_source_parse_custom(const char *text, WhoamiSource *ret, const char **ret_why);
void whoami_source_done(WhoamiSource *w);
