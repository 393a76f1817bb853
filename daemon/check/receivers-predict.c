/* SPDX-License-Identifier: MIT */
/* What receivers do with mail from an address, under their documented
 * defaults, for mail relayed by Postfix where a content filter runs behind
 * it. Sources: ../shared/mta-and-receivers.md sections C–E. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helo.h"
#include "hostname.h"
#include "macro.h"
#include "log.h"
#include "receivers-predict.h"
#include "rspamd-rules.h"
#include "sa-rules.h"
#include "strv.h"

/* What the receivers see of the connection, from the verdict. */
typedef struct Seen {
        const Verdict *v;
        char addr[ADDRESS_STRING_MAX];
        const char *helo;               /* as sent, or NULL when not known */
        /* Postfix's smtpd_peer.c: getnameinfo() gives the first PTR name
         * only, which must be a valid host name and resolve back. */
        enum { PEER_OK, PEER_TEMP, PEER_PERM } name, reverse_name;
        bool no_ptr;                    /* NXDOMAIN or NODATA: no name at all */
        bool ptr_lookup_failed;         /* the PTR question itself got no answer */
        const char *verified;           /* the name Postfix writes in Received:, or NULL ("unknown") */
        const ReceiverRules *rules;     /* the receivers' own rule files, or NULL */
} Seen;

struct ReceiverRules {
        SaRules *sa;
        RspamdRules *rspamd;
        uint32_t generation;    /* one for each load: predictions made with other files are not reused */
};

typedef int (*predict_t)(const Seen *s, Prediction *p);

static int set(Prediction *p, ReceiverAction a, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int set(Prediction *p, ReceiverAction a, const char *fmt, ...) {
        va_list ap;
        int r = 0;

        *p = (Prediction) { .known = true, .action = a };
        if (fmt) {
                va_start(ap, fmt);
                r = vasprintf(&p->reply, fmt, ap);
                va_end(ap);
        }
        return r < 0 ? -ENOMEM : 0;
}

static int note(Prediction *p, ReceiverAction a, const char *text) {
        *p = (Prediction) { .known = true, .action = a, .note = strdup(text) };
        return p->note ? 0 : -ENOMEM;
}

/* ---- Postfix (postfix/src/smtpd/smtpd_check.c, defaults of postconf(5)) ---- */

/* 450: unknown_client_reject_code; a temporary failure is 450 always. */
static int postfix_unknown_client(const Seen *s, Prediction *p) {
        if (s->name == PEER_OK)
                return set(p, ACTION_ACCEPT, NULL);
        return set(p, ACTION_TEMPFAIL, "450 4.7.25 Client host rejected: cannot find your hostname, [%s]", s->addr);
}

static int postfix_unknown_reverse_client(const Seen *s, Prediction *p) {
        if (s->reverse_name == PEER_OK)
                return set(p, ACTION_ACCEPT, NULL);
        return set(p, ACTION_TEMPFAIL, "450 4.7.1 Client host rejected: cannot find your reverse hostname, [%s]",
                   s->addr);
}

/* reject_invalid_hostaddr(): "[...]", an optional IPv6: tag, an address;
 * 501 (invalid_hostname_reject_code). 1: it rejected, 0: valid. */
static int postfix_literal(const Seen *s, Prediction *p) {
        if (helo_form(s->helo) == HELO_ADDRESS)
                return set(p, ACTION_ACCEPT, NULL);
        return set(p, ACTION_REJECT, "501 5.5.2 <%s>: Helo command rejected: invalid ip address", s->helo);
}

/* dup_if_truncate(): a trailing dot goes, unless it is a double one. */
static void truncated(const char *helo, char buf[static HOSTNAME_MAX + 3]) {
        size_t n = strlen(helo);

        snprintf(buf, HOSTNAME_MAX + 3, "%s", helo);
        if (n > 1 && n < HOSTNAME_MAX + 3 && buf[n - 1] == '.' && buf[n - 2] != '.')
                buf[n - 1] = 0;
}

static int postfix_invalid_helo(const Seen *s, Prediction *p) {
        char t[HOSTNAME_MAX + 3];

        if (!s->helo)
                return 0;
        if (s->helo[0] == '[')
                return postfix_literal(s, p);
        truncated(s->helo, t);
        if (hostname_is_valid(t) || address_parse(t, NULL, NULL) >= 0)
                return set(p, ACTION_ACCEPT, NULL);
        return set(p, ACTION_REJECT, "501 5.5.2 <%s>: Helo command rejected: Invalid name", s->helo);
}

/* 504: non_fqdn_reject_code. A bare address is no host name: rejected. */
static int postfix_non_fqdn_helo(const Seen *s, Prediction *p) {
        char t[HOSTNAME_MAX + 3];

        if (!s->helo)
                return 0;
        if (s->helo[0] == '[')
                return postfix_literal(s, p);
        truncated(s->helo, t);
        if (hostname_is_valid(t) && strchr(t, '.'))
                return set(p, ACTION_ACCEPT, NULL);
        return set(p, ACTION_REJECT, "504 5.5.2 <%s>: Helo command rejected: need fully-qualified hostname", s->helo);
}

/* No A, AAAA or MX: 450 (unknown_hostname_reject_code); no answer: 450 by
 * unknown_helo_hostname_tempfail_action = defer_if_permit. dns_lookup.c
 * asks nothing for a name that fails valid_hostname() as sent (a bare
 * address, a trailing dot, an empty label): "not found" at once. */
static int postfix_unknown_helo(const Seen *s, Prediction *p) {
        unsigned f = s->v->helo_dns;

        if (!s->helo)
                return 0;
        if (s->helo[0] == '[')
                return postfix_literal(s, p);
        if (hostname_is_valid(s->helo)) {
                if (!(f & HELO_DNS_ASKED))
                        return 0;
                if (f & (HELO_DNS_A | HELO_DNS_AAAA | HELO_DNS_MX))
                        return set(p, ACTION_ACCEPT, NULL);
        }
        return set(p, ACTION_TEMPFAIL, "450 4.7.1 <%s>: Helo command rejected: Host not found", s->helo);
}

/* ---- the big receivers (their sender guidelines and error pages) ---- */

static bool verdict_fails(const Seen *s) {
        return s->v->kind == VERDICT_FAIL;
}

static bool verdict_known(const Seen *s) {
        return s->v->kind == VERDICT_PASS || s->v->kind == VERDICT_WARN || s->v->kind == VERDICT_FAIL;
}

/* support.google.com/a/answer/3726730 (SMTP errors) and mail/answer/81126. */
static int gmail(const Seen *s, Prediction *p) {
        if (!verdict_known(s))
                return 0;       /* Gmail asks its own resolvers */
        if (!verdict_fails(s))
                return set(p, ACTION_ACCEPT, NULL);
        if (s->v->address.family == AF_INET6)
                return set(p, ACTION_REJECT, "550 5.7.1 This message does not meet IPv6 sending guidelines "
                           "regarding PTR records and authentication.");
        return set(p, ACTION_REJECT, "550 5.7.25 This message was blocked because the sending IP address doesn't "
                   "have a PTR record, or the forwarding DNS entry doesn't reference the sending IP address.");
}

/* senders.yahooinc.com/best-practices: no PTR-specific reply documented. */
static int yahoo(const Seen *s, Prediction *p) {
        if (!verdict_known(s))
                return 0;
        if (verdict_fails(s))
                return note(p, ACTION_REJECT, "requires valid forward and reverse DNS for every sending IP: "
                            "expect deferrals and the spam folder");
        if (s->v->reasons & REASON_BIT(REASON_GENERIC_PTR))
                return note(p, ACTION_ACCEPT, "met, but asks for a non-generic PTR name: a dynamic-looking one "
                            "lowers the IP's reputation");
        return note(p, ACTION_ACCEPT, "met: valid forward and reverse DNS");
}

/* postmaster.live.com/pm/policies.aspx; Exchange Online over IPv6:
 * microsoft-365-docs "support-for-anonymous-inbound-email-messages-over-ipv6". */
static int outlook(const Seen *s, Prediction *p) {
        int r;

        if (!verdict_known(s))
                return 0;
        if (verdict_fails(s) && s->v->address.family == AF_INET6) {
                r = set(p, ACTION_TEMPFAIL, "450 4.7.25 Service unavailable, sending IPv6 address [%s] must have "
                        "reverse DNS record.", s->addr);
                if (r >= 0 && !(p->note = strdup("Exchange Online's reply over IPv6")))
                        r = -ENOMEM;
                return r;
        }
        if (verdict_fails(s))
                return note(p, ACTION_REJECT, "Outlook.com: \"Email servers must have valid reverse DNS records\"; "
                            "no reply code is documented");
        if (s->v->reasons & REASON_BIT(REASON_GENERIC_PTR))
                return note(p, ACTION_ACCEPT, "met, but a dynamic-looking name risks 550 DY-001 "
                            "(\"we generally do not accept email from dynamic IP's\")");
        return note(p, ACTION_ACCEPT, "met: valid reverse DNS");
}

/* ---- content filters ---- */

typedef struct Rule {
        const char *name;
        double score;
} Rule;

static int add_rule(Prediction *p, const Rule *rule) {
        p->score += rule->score;
        return strv_extend(&p->rules, rule->name);
}

/* SpamAssassin 4.0 (Debian 12), score set 3 of rules/50_scores.cf. It reads
 * the Received: header Postfix writes (Metadata/Received.pm): rdns= is the
 * verified name or empty ("unknown"); helo= is the HELO name with
 * [ ] ( ) < > | # and white space replaced by "!". With its rule files on
 * this host, sa-rules.c evaluates them; without, these estimate. */
static const Rule SA_RDNS_NONE = { "RDNS_NONE", 0.793 },                /* 20_dynrdns.cf */
                  SA_RDNS_DYNAMIC = { "RDNS_DYNAMIC", 0.982 },          /* 20_dynrdns.cf */
                  SA_HELO_LOCALHOST = { "HELO_LOCALHOST", 3.828 },      /* 72_active.cf */
                  SA_HELO_NO_DOMAIN = { "HELO_NO_DOMAIN", 1.0 },        /* 72_active.cf; no score line: 1.0 */
                  SA_FSL_HELO_NON_FQDN_1 = { "FSL_HELO_NON_FQDN_1", 0.001 },
                  SA_FSL_HELO_BARE_IP_1 = { "FSL_HELO_BARE_IP_1", 2.347 },
                  SA_RCVD_HELO_IP_MISMATCH = { "RCVD_HELO_IP_MISMATCH", 2.368 };  /* RelayEval.pm */

static bool is_dotted_quad(const char *s) {
        unsigned a, b, c, d;
        int n = 0;

        return sscanf(s, "%3u.%3u.%3u.%3u%n", &a, &b, &c, &d, &n) == 4 && s[n] == 0 && strspn(s, "0123456789.") == strlen(s);
}

/* IP_PRIVATE of SpamAssassin's Constants.pm: 10/8, 127/8, 169.254/16,
 * 172.16/12, 192.168/16, 100.64/10. */
static bool sa_private(const char *s) {
        Address a;

        if (address_parse(s, &a, NULL) < 0 || a.family != AF_INET)
                return false;
        switch (address_scope(&a)) {
        case ADDRESS_PRIVATE: case ADDRESS_CGNAT: case ADDRESS_LOOPBACK: case ADDRESS_LINK_LOCAL:
                return true;
        default:
                return false;
        }
}

/* The HELO as SpamAssassin keeps it (Received.pm). */
static void sa_helo(const Seen *s, char h[static HOSTNAME_MAX + 3]) {
        snprintf(h, HOSTNAME_MAX + 3, "%s", s->helo ?: "");
        for (char *c = h; *c; c++)
                if (strchr(" \t[]()<>|#", *c))
                        *c = '!';
}

/* RelayEval.pm helo_ip_mismatch(): a dotted-quad HELO of another public
 * address, outside the client's /24. */
static bool sa_helo_ip_mismatch(const Seen *s) {
        char h[HOSTNAME_MAX + 3];

        sa_helo(s, h);
        if (!is_dotted_quad(h) || sa_private(h) || s->v->address.family != AF_INET || sa_private(s->addr) ||
            streq(h, s->addr))
                return false;
        size_t prefix = (size_t) (strrchr(h, '.') - h) + 1;
        return strncmp(h, s->addr, prefix) != 0;
}

static int spamassassin_helo(const Seen *s, Prediction *p) {
        char h[HOSTNAME_MAX + 3];
        int r = 0;

        sa_helo(s, h);
        if (strcaseeq(h, "localhost"))
                r = add_rule(p, &SA_HELO_LOCALHOST);
        else if (*h && !strchr(h, '.'))
                r = add_rule(p, &SA_HELO_NO_DOMAIN);
        if (r >= 0 && *h && strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == strlen(h))
                r = add_rule(p, &SA_FSL_HELO_NON_FQDN_1);
        if (r >= 0 && is_dotted_quad(h) && strncmp(h, "127.", 4) != 0)
                r = add_rule(p, &SA_FSL_HELO_BARE_IP_1);
        if (r >= 0 && sa_helo_ip_mismatch(s))
                r = add_rule(p, &SA_RCVD_HELO_IP_MISMATCH);
        return r;
}

/* Without SpamAssassin's files: the rules above, and our own generic-name
 * judgement standing in for RDNS_DYNAMIC's patterns. */
static int spamassassin_estimated(const Seen *s, Prediction *p) {
        int r = 0;

        if (!(p->basis = strdup("estimated")))
                return -ENOMEM;
        if (!s->verified)
                r = add_rule(p, &SA_RDNS_NONE);
        else if (s->v->reasons & REASON_BIT(REASON_GENERIC_PTR))
                r = add_rule(p, &SA_RDNS_DYNAMIC);
        if (r >= 0 && s->helo)
                r = spamassassin_helo(s, p);
        return r;
}

/* A rule or symbol of a receiver's own files hit: its score, and where it
 * is written (when it is: a map line, a rule's definition). */
static int on_hit(const char *rule, double score, const char *where, void *userdata) {
        Prediction *p = userdata;
        char *m = NULL;

        p->score += score;
        if (where && (strextendf(&m, "%s %s", rule, where) < 0 || strv_push(&p->matched, m) < 0))
                return -ENOMEM;
        return strv_extend(&p->rules, rule);
}

/* With them: every relay rule of theirs, as their engine evaluates it. */
static int spamassassin_rules(const Seen *s, Prediction *p) {
        const SaEval evals[] = {
                { "ALL_TRUSTED", false },       /* mail from outside */
                { "NO_RELAYS", false },
                { "RCVD_HELO_IP_MISMATCH", s->helo && sa_helo_ip_mismatch(s) },
        };
        SaRelay relay = { .ip = s->addr, .rdns = s->verified ?: "", .helo = s->helo };

        if (!(p->basis = strdup("rules")) || !(p->source = strdup(sa_rules_source(s->rules->sa))))
                return -ENOMEM;
        return sa_rules_evaluate(s->rules->sa, &relay, evals, ELEMENTSOF(evals), on_hit, p);
}

static int spamassassin(const Seen *s, Prediction *p) {
        if (s->v->kind == VERDICT_UNKNOWN)
                return 0;
        *p = (Prediction) { .known = true };
        return s->rules && s->rules->sa ? spamassassin_rules(s, p) : spamassassin_estimated(s, p);
}

/* Rspamd 3.4 (Debian 12): conf/scores.d/hfilter_group.conf weights,
 * src/plugins/lua/hfilter.lua, once_received.lua; fed by Postfix's milter,
 * which passes "unknown" for an unverified client, dropped by Rspamd. */
static const Rule RS_HOSTNAME_UNKNOWN = { "HFILTER_HOSTNAME_UNKNOWN", 2.5 },
                  RS_RDNS_NONE = { "RDNS_NONE", 1.0 },
                  RS_RDNS_DNSFAIL = { "RDNS_DNSFAIL", 0.0 },
                  RS_HELO_BADIP = { "HFILTER_HELO_BADIP", 4.5 },
                  RS_HELO_BAREIP = { "HFILTER_HELO_BAREIP", 3.0 },
                  RS_HELO_5 = { "HFILTER_HELO_5", 3.0 },
                  RS_HELO_IP_A = { "HFILTER_HELO_IP_A", 1.0 },
                  RS_HELO_NORES_A_OR_MX = { "HFILTER_HELO_NORES_A_OR_MX", 0.3 };

/* hfilter's checks_hello: no dot, or a local-network suffix: weight 5. */
static bool rspamd_helo_weight5(const char *h) {
        static const char * const suffixes[] = {
                ".lan", ".local", ".home", ".localdomain", ".intra", ".in-addr.arpa", ".priv", ".user",
        };
        size_t n = strlen(h);

        if (!strchr(h, '.'))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t k = strlen(suffixes[i]);
                if (n > k && strcaseeq(h + n - k, suffixes[i]))
                        return true;
        }
        return false;
}

/* hfilter's bad-IP list: private, loopback, link-local and the
 * documentation ranges. */
static bool rspamd_bad_ip(const Address *a) {
        switch (address_scope(a)) {
        case ADDRESS_PRIVATE: case ADDRESS_CGNAT: case ADDRESS_LOOPBACK: case ADDRESS_LINK_LOCAL:
        case ADDRESS_DOCUMENTATION: case ADDRESS_UNSPECIFIED: case ADDRESS_ULA:
                return true;
        default:
                return false;
        }
}

static int rspamd_helo(const Seen *s, Prediction *p) {
        char h[HOSTNAME_MAX + 3];
        size_t n;
        Address a;
        unsigned f = s->v->helo_dns;

        snprintf(h, sizeof h, "%s", s->helo[0] == '[' ? s->helo + 1 : s->helo);
        n = strlen(h);
        if (s->helo[0] == '[' && n > 0 && h[n - 1] == ']')
                h[n - 1] = 0;
        if (strncasecmp(h, "ipv6:", 5) == 0)
                memmove(h, h + 5, strlen(h + 5) + 1);
        if (address_parse(h, &a, NULL) >= 0)
                return add_rule(p, rspamd_bad_ip(&a) ? &RS_HELO_BADIP : &RS_HELO_BAREIP);
        if (rspamd_helo_weight5(h))
                return add_rule(p, &RS_HELO_5);
        /* check_host(): no A and no AAAA at all (then no MX either) */
        if ((f & HELO_DNS_ASKED) && !(f & HELO_DNS_TEMP) && !(f & (HELO_DNS_A | HELO_DNS_AAAA))) {
                int r = add_rule(p, &RS_HELO_IP_A);
                if (r >= 0 && !(f & HELO_DNS_MX))
                        r = add_rule(p, &RS_HELO_NORES_A_OR_MX);
                return r;
        }
        return 0;
}

/* With its files: hfilter's maps and weights, as hfilter_callback() applies them. */
static int rspamd_from_rules(const Seen *s, Prediction *p) {
        unsigned f = s->v->helo_dns;
        RspamdClient c = {
                .hostname = s->verified,
                .helo = s->helo,
                .helo_has_address = f & (HELO_DNS_A | HELO_DNS_AAAA),
                .helo_has_mx = f & HELO_DNS_MX,
                .helo_dns_answered = (f & HELO_DNS_ASKED) && !(f & HELO_DNS_TEMP),
        };

        if (!(p->basis = strdup("rules")) || !(p->source = strdup(rspamd_rules_source(s->rules->rspamd))))
                return -ENOMEM;
        return rspamd_rules_evaluate(s->rules->rspamd, &c, on_hit, p);
}

static int rspamd(const Seen *s, Prediction *p) {
        int r = 0;

        if (s->v->kind == VERDICT_UNKNOWN)
                return 0;
        *p = (Prediction) { .known = true, .version = strdup("3.4") };
        if (!p->version)
                return -ENOMEM;
        /* once_received.lua, not hfilter: no PTR, or its lookup failed */
        if (s->no_ptr || s->ptr_lookup_failed)
                r = add_rule(p, &RS_RDNS_NONE);
        if (r >= 0 && s->ptr_lookup_failed)
                r = add_rule(p, &RS_RDNS_DNSFAIL);
        if (r >= 0 && s->rules && s->rules->rspamd)
                r = rspamd_from_rules(s, p);
        else if (r >= 0) {
                r = (p->basis = strdup("estimated")) ? 0 : -ENOMEM;
                if (r >= 0 && !s->verified)
                        r = add_rule(p, &RS_HOSTNAME_UNKNOWN);
                if (r >= 0 && s->helo)
                        r = rspamd_helo(s, p);
        }
        if (r >= 0)                     /* once_received's and hfilter's, in one order */
                strv_sort(p->rules);
        return r;
}

/* ---- the table ---- */

static const struct {
        Receiver receiver;
        predict_t predict;
        const char *source;
} receivers[] = {
        { RECEIVER_POSTFIX_UNKNOWN_CLIENT, postfix_unknown_client,
          "Postfix smtpd_check.c reject_unknown_client(), smtpd_peer.c; unknown_client_reject_code = 450" },
        { RECEIVER_POSTFIX_UNKNOWN_REVERSE_CLIENT, postfix_unknown_reverse_client,
          "Postfix smtpd_check.c reject_unknown_reverse_name(); unknown_client_reject_code = 450" },
        { RECEIVER_POSTFIX_INVALID_HELO, postfix_invalid_helo,
          "Postfix smtpd_check.c reject_invalid_hostname(), reject_invalid_hostaddr(); invalid_hostname_reject_code = 501" },
        { RECEIVER_POSTFIX_NON_FQDN_HELO, postfix_non_fqdn_helo,
          "Postfix smtpd_check.c reject_non_fqdn_hostname(); non_fqdn_reject_code = 504" },
        { RECEIVER_POSTFIX_UNKNOWN_HELO, postfix_unknown_helo,
          "Postfix smtpd_check.c reject_unknown_hostname(); unknown_hostname_reject_code = 450" },
        { RECEIVER_GMAIL, gmail,
          "support.google.com/a/answer/3726730, support.google.com/mail/answer/81126" },
        { RECEIVER_YAHOO, yahoo, "senders.yahooinc.com/best-practices" },
        { RECEIVER_OUTLOOK, outlook,
          "postmaster.live.com/pm/policies.aspx; Exchange Online: support-for-anonymous-inbound-email-messages-over-ipv6" },
        { RECEIVER_SPAMASSASSIN, spamassassin,
          "SpamAssassin 4.0 rules 20_dynrdns.cf, 72_active.cf, 50_scores.cf (set 3); Metadata/Received.pm; Plugin/RelayEval.pm" },
        { RECEIVER_RSPAMD, rspamd,
          "Rspamd 3.4 src/plugins/lua/hfilter.lua, conf/scores.d/hfilter_group.conf, once_received.lua" },
};

const char *receiver_source(Receiver r) {
        for (size_t i = 0; i < ELEMENTSOF(receivers); i++)
                if (receivers[i].receiver == r)
                        return receivers[i].source;
        return NULL;
}

static void seen_from_verdict(const Verdict *v, const ReceiverRules *rules, Seen *s) {
        const char *first = v->ptr ? v->ptr[0] : NULL;

        *s = (Seen) { .v = v, .helo = v->helo ? v->helo[0] : NULL, .rules = rules };
        address_to_string(&v->address, s->addr);
        s->ptr_lookup_failed = !first && (v->kind == VERDICT_TEMPERROR);
        s->no_ptr = !first && !s->ptr_lookup_failed;
        if (s->ptr_lookup_failed)
                s->reverse_name = s->name = PEER_TEMP;
        else if (!first || !hostname_is_valid(first))
                s->reverse_name = s->name = PEER_PERM;
        else {
                s->reverse_name = PEER_OK;
                bool confirms = strv_contains(v->confirmed, first);
                s->name = confirms ? PEER_OK : v->kind == VERDICT_TEMPERROR ? PEER_TEMP : PEER_PERM;
                s->verified = confirms ? first : NULL;
        }
}

/* Whether the predictions made for like are those of v: made with the same
 * rule files from the same facts (all that seen_from_verdict() and the
 * predictors read). */
static bool predicted_alike(const Verdict *v, const Verdict *like, uint32_t generation) {
        const char *first = v->ptr ? v->ptr[0] : NULL, *like_first = like->ptr ? like->ptr[0] : NULL;
        const char *helo = v->helo ? v->helo[0] : NULL, *like_helo = like->helo ? like->helo[0] : NULL;

        return like->receivers && like->predicted_with == generation && like->kind == v->kind &&
                like->reasons == v->reasons && like->helo_dns == v->helo_dns &&
                address_equal(&like->address, &v->address) &&
                streq_ptr(first, like_first) && streq_ptr(helo, like_helo) &&
                (!first || strv_contains(v->confirmed, first) == strv_contains(like->confirmed, first));
}

int receivers_predict(Verdict *v, const ReceiverRules *rules, const Verdict *like) {
        uint32_t generation = rules ? rules->generation : 0;
        Prediction *p;
        Seen s;
        int r;

        v->receivers = predictions_free(v->receivers);
        if (v->kind == VERDICT_UNKNOWN)
                return 0;
        v->predicted_with = generation;
        if (like && predicted_alike(v, like, generation)) {
                v->receivers = predictions_copy(like->receivers);      /* a refresh that found the same */
                return 0;
        }
        p = predictions_new();
        if (!p)
                return -ENOMEM;
        seen_from_verdict(v, rules, &s);
        for (size_t i = 0; i < ELEMENTSOF(receivers); i++) {
                r = receivers[i].predict(&s, &p[receivers[i].receiver]);
                if (r < 0) {
                        predictions_free(p);
                        return r;
                }
        }
        v->receivers = predictions_intern(p);  /* most addresses share theirs with many */
        return 0;
}

/* ---- the receivers' own rule files ---- */

int receiver_rules_load(const char *spamassassin_dir, const char *rspamd_plugin, ReceiverRules **ret) {
        _cleanup_free_ char *first_bad = NULL, *first_bad_rspamd = NULL;
        static uint32_t generations;
        ReceiverRules *rules = calloc(1, sizeof(ReceiverRules));
        unsigned bad = 0, bad_rspamd = 0;
        int r;

        if (!rules)
                return -ENOMEM;
        rules->generation = ++generations ?: ++generations;     /* never 0: the estimates' */
        r = sa_rules_load(spamassassin_dir, NULL, &rules->sa, &bad, &first_bad);
        if (r < 0) {
                free(rules);
                return r;
        }
        r = rspamd_rules_load(rspamd_plugin, NULL, &rules->rspamd, &bad_rspamd, &first_bad_rspamd);
        if (r < 0) {
                receiver_rules_free(rules);
                return r;
        }
        if (!rules->rspamd)
                log_info("No Rspamd hfilter plugin at %s: its predictions are estimated",
                         rspamd_plugin ?: "/usr/share/rspamd/plugins/hfilter.lua");
        else if (bad_rspamd > 0)
                log_warning("Rspamd's hfilter maps (%s): %u line%s not understood and skipped, the first %s",
                            rspamd_rules_source(rules->rspamd), bad_rspamd, bad_rspamd == 1 ? "" : "s",
                            first_bad_rspamd);
        if (!rules->sa)
                log_info("No SpamAssassin rule files in %s: its predictions are estimated",
                         spamassassin_dir ?: "/var/lib/spamassassin or /usr/share/spamassassin");
        else if (bad > 0)
                log_warning("SpamAssassin's rules (%s): %u line%s not understood and skipped, the first %s",
                            sa_rules_source(rules->sa), bad, bad == 1 ? "" : "s", first_bad);
        *ret = rules;
        return 0;
}

ReceiverRules *receiver_rules_free(ReceiverRules *r) {
        if (r) {
                sa_rules_free(r->sa);
                rspamd_rules_free(r->rspamd);
        }
        free(r);
        return NULL;
}
