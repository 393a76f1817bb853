/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* SpamAssassin's own rules about the relay that handed it the mail,
 * evaluated the way its engine does: the header rules on the pseudo-headers
 * X-Spam-Relays-External/-Untrusted/-Internal/-Trusted (a relay line,
 * "[ ip=… rdns=… helo=… by=… ident= envfrom= intl=0 id=… auth= msa=0 ]",
 * Message/Metadata/Received.pm) and on Received:, with PCRE2 (the Perl
 * regexes as written), and the meta rules over them. Read from the rule
 * files SpamAssassin itself reads, at start and on reload. */

typedef struct SaRules SaRules;

/* The rule files: the newest sa-update directory under
 * /var/lib/spamassassin if there is one, else /usr/share/spamassassin;
 * then the site's .cf files in /etc/spamassassin (local.cf's scores). NULL dirs:
 * those. Returns 0 and *ret = NULL when no rule file is found (the caller
 * estimates); each line that does not parse is skipped, and counted in
 * *ret_bad with the first one's place in *ret_first_bad (allocated). */
int sa_rules_load(const char *rules_dir, const char *site_dir, SaRules **ret, unsigned *ret_bad,
                  char **ret_first_bad);
SaRules *sa_rules_free(SaRules *r);

/* "/usr/share/spamassassin (4.0.1)": where the rules came from. */
const char *sa_rules_source(const SaRules *r);

/* What SpamAssassin sees of one relay. rdns: the verified name, or "" (a
 * name that does not forward-confirm: Postfix writes "unknown"); helo: as
 * sent, or NULL. */
typedef struct SaRelay {
        const char *ip;
        const char *rdns;
        const char *helo;
} SaRelay;

/* The rules the engine evaluates that hit for a message relayed by Postfix
 * from that relay: the scoring rules (not "__" subrules) whose every
 * dependency is a relay or Received header rule, a meta over them, or a
 * known eval (values in evals, by name: e.g. ALL_TRUSTED 0). Calls hit()
 * for each, with its set-3 score and where it is defined ("file:line").
 * Returns 0 or a negative errno. */
typedef int (*sa_hit_t)(const char *rule, double score, const char *where, void *userdata);
typedef struct SaEval {
        const char *name;
        bool value;
} SaEval;
/* Whether a header rule is matched only on a relay line that has the
 * literals every match of its pattern holds (regex-literal.h; on by
 * default): off, for tests that compare. */
void sa_rules_set_prefilter(SaRules *r, bool on);
int sa_rules_evaluate(const SaRules *r, const SaRelay *relay, const SaEval *evals, size_t n_evals,
                      sa_hit_t hit, void *userdata);
