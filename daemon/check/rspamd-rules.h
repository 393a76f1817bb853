/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* Rspamd's hfilter, from its own files: the regular-expression maps of
 * plugins/hfilter.lua (checks_hellohost, checks_hello, checks_hello_badip,
 * checks_hello_bareip: "/regex/flags weight" a line) and the weights of
 * scores.d/hfilter_group.conf (then local.d and override.d), applied to the
 * client's host name and HELO as hfilter_callback() does. */

typedef struct RspamdRules RspamdRules;

/* plugin: hfilter.lua (NULL: /usr/share/rspamd/plugins/hfilter.lua);
 * confdir: /etc/rspamd when NULL. 0 and *ret = NULL when the plugin is not
 * there; lines that do not parse are skipped, counted in *ret_bad, the
 * first one's place in *ret_first_bad. */
int rspamd_rules_load(const char *plugin, const char *confdir, RspamdRules **ret, unsigned *ret_bad,
                      char **ret_first_bad);
RspamdRules *rspamd_rules_free(RspamdRules *r);
const char *rspamd_rules_source(const RspamdRules *r);

/* What hfilter sees: hostname, the verified name (NULL: Postfix's milter
 * passes "unknown", which Rspamd drops); helo as sent, or NULL; what DNS
 * said of the HELO name (for check_host(): has A or AAAA, has MX, all
 * answered). */
typedef struct RspamdClient {
        const char *hostname;
        const char *helo;
        bool helo_has_address;
        bool helo_has_mx;
        bool helo_dns_answered;
} RspamdClient;

typedef int (*rspamd_hit_t)(const char *symbol, double score, const char *where, void *userdata);
int rspamd_rules_evaluate(const RspamdRules *r, const RspamdClient *c, rspamd_hit_t hit, void *userdata);
