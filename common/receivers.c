/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-dict.h"
#include "macro.h"
#include "receivers.h"
#include "strv.h"

static const char * const receiver_names[_RECEIVER_MAX] = {
        [RECEIVER_POSTFIX_UNKNOWN_CLIENT]         = "postfix-unknown-client",
        [RECEIVER_POSTFIX_UNKNOWN_REVERSE_CLIENT] = "postfix-unknown-reverse-client",
        [RECEIVER_POSTFIX_INVALID_HELO]           = "postfix-invalid-helo",
        [RECEIVER_POSTFIX_NON_FQDN_HELO]          = "postfix-non-fqdn-helo",
        [RECEIVER_POSTFIX_UNKNOWN_HELO]           = "postfix-unknown-helo",
        [RECEIVER_GMAIL]                          = "gmail",
        [RECEIVER_YAHOO]                          = "yahoo",
        [RECEIVER_OUTLOOK]                        = "outlook",
        [RECEIVER_SPAMASSASSIN]                   = "spamassassin",
        [RECEIVER_RSPAMD]                         = "rspamd",
};

static const char * const action_names[_ACTION_MAX] = {
        [ACTION_NONE]     = "none",
        [ACTION_ACCEPT]   = "accept",
        [ACTION_TEMPFAIL] = "tempfail",
        [ACTION_REJECT]   = "reject",
};

const char *receiver_to_string(Receiver r) {
        return r < _RECEIVER_MAX ? receiver_names[r] : NULL;
}

int receiver_from_string(const char *s) {
        for (Receiver r = 0; r < _RECEIVER_MAX; r++)
                if (streq(receiver_names[r], s))
                        return (int) r;
        return -EINVAL;
}

const char *receiver_action_to_string(ReceiverAction a) {
        return a < _ACTION_MAX ? action_names[a] : NULL;
}

static int action_from_string(const char *s) {
        for (ReceiverAction a = 0; a < _ACTION_MAX; a++)
                if (streq(action_names[a], s))
                        return (int) a;
        return -EINVAL;
}

bool receiver_is_scoring(Receiver r) {
        return r == RECEIVER_SPAMASSASSIN || r == RECEIVER_RSPAMD;
}

/* SpamAssassin calls them rules, Rspamd symbols. */
static const char *rules_key(Receiver r) {
        return r == RECEIVER_RSPAMD ? "symbols" : "rules";
}

/* Predictions are made once and never changed after: copies share them,
 * counted, and the daemon interns them (predictions_intern()), so that
 * the many addresses with the same predictions hold one copy. */
typedef struct PredictionSet {
        unsigned n_ref;
        bool interned;
        uint64_t hash;
        struct PredictionSet *next;     /* in its bucket of the intern table */
        Prediction p[_RECEIVER_MAX];
} PredictionSet;

static struct {
        PredictionSet **buckets;
        size_t n_buckets, n;
} interned;

static PredictionSet *set_of(const Prediction *p) {
        return (PredictionSet *) (void *) ((char *) p - offsetof(PredictionSet, p));
}

Prediction *predictions_new(void) {
        PredictionSet *s = calloc(1, sizeof(PredictionSet));

        if (!s)
                return NULL;
        s->n_ref = 1;
        return s->p;
}

static void intern_remove(PredictionSet *s) {
        PredictionSet **b = &interned.buckets[s->hash % interned.n_buckets];
        while (*b != s)
                b = &(*b)->next;
        *b = s->next;
        if (--interned.n == 0) {
                free(interned.buckets);
                interned.buckets = NULL;
                interned.n_buckets = 0;
        }
}

Prediction *predictions_free(Prediction *p) {
        if (!p)
                return NULL;
        PredictionSet *s = set_of(p);
        if (--s->n_ref > 0)
                return NULL;
        if (s->interned)
                intern_remove(s);
        for (size_t i = 0; i < _RECEIVER_MAX; i++) {
                free(p[i].reply);
                free(p[i].note);
                strv_free(p[i].rules);
                free(p[i].version);
                free(p[i].basis);
                free(p[i].source);
                strv_free(p[i].matched);
        }
        free(s);
        return NULL;
}

Prediction *predictions_copy(const Prediction *p) {
        if (!p)
                return NULL;
        set_of(p)->n_ref++;
        return (Prediction *) p;
}

static uint64_t hash_string(uint64_t h, const char *s) {
        for (; s && *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;      /* FNV-1a */
        return (h ^ 0xff) * 0x100000001b3ULL;   /* the end of a string: "a","bc" is not "ab","c" */
}

static uint64_t predictions_hash(const Prediction *p) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < _RECEIVER_MAX; i++) {
                h = (h ^ (uint64_t) (p[i].known * 8 + p[i].action)) * 0x100000001b3ULL;
                h = (h ^ (uint64_t) (p[i].score * 100)) * 0x100000001b3ULL;
                h = hash_string(hash_string(hash_string(h, p[i].reply), p[i].note), p[i].source);
                for (char **r = p[i].rules; r && *r; r++)
                        h = hash_string(h, *r);
                for (char **m = p[i].matched; m && *m; m++)
                        h = hash_string(h, *m);
        }
        return h;
}

static bool predictions_equal(const Prediction *a, const Prediction *b) {
        for (size_t i = 0; i < _RECEIVER_MAX; i++)
                if (a[i].known != b[i].known || a[i].action != b[i].action || a[i].score != b[i].score ||
                    !streq_ptr(a[i].reply, b[i].reply) || !streq_ptr(a[i].note, b[i].note) ||
                    !streq_ptr(a[i].version, b[i].version) || !streq_ptr(a[i].basis, b[i].basis) ||
                    !streq_ptr(a[i].source, b[i].source) || !strv_equal(a[i].rules, b[i].rules) ||
                    !strv_equal(a[i].matched, b[i].matched))
                        return false;
        return true;
}

static void intern_grow(void) {
        size_t n = interned.n_buckets ? interned.n_buckets * 2 : 64;
        PredictionSet **b = calloc(n, sizeof(PredictionSet *));

        if (!b)
                return;         /* longer chains, still correct */
        for (size_t i = 0; i < interned.n_buckets; i++)
                for (PredictionSet *s = interned.buckets[i], *next; s; s = next) {
                        next = s->next;
                        s->next = b[s->hash % n];
                        b[s->hash % n] = s;
                }
        free(interned.buckets);
        interned.buckets = b;
        interned.n_buckets = n;
}

Prediction *predictions_intern(Prediction *p) {
        if (!p || set_of(p)->interned)
                return p;
        PredictionSet *s = set_of(p);
        s->hash = predictions_hash(p);
        if (interned.n_buckets > 0)
                for (PredictionSet *o = interned.buckets[s->hash % interned.n_buckets]; o; o = o->next)
                        if (o->hash == s->hash && predictions_equal(o->p, p)) {
                                predictions_free(p);
                                return predictions_copy(o->p);
                        }
        if (interned.n >= interned.n_buckets)
                intern_grow();
        if (interned.n_buckets == 0)
                return p;       /* no memory for the table: not shared */
        s->interned = true;
        s->next = interned.buckets[s->hash % interned.n_buckets];
        interned.buckets[s->hash % interned.n_buckets] = s;
        interned.n++;
        return p;
}

/* The reply's code ("450 4.7.25 …" → 450), 0 without one. */
static int reply_code(const char *reply) {
        int code = reply ? atoi(reply) : 0;
        return code >= 200 && code < 600 ? code : 0;
}

char *predictions_summary(const Prediction *p) {
        char *s = NULL;
        int postfix = 0;

        if (!p)
                return strdup("-");
        /* Postfix: the worst of its restrictions, as one receiver */
        for (Receiver r = RECEIVER_POSTFIX_UNKNOWN_CLIENT; r <= RECEIVER_POSTFIX_UNKNOWN_HELO; r++)
                if (p[r].known && p[r].action != ACTION_ACCEPT)
                        postfix = MAX(postfix, reply_code(p[r].reply));
        if (postfix && strextendf(&s, "postfix %d", postfix) < 0)
                goto oom;
        for (Receiver r = RECEIVER_GMAIL; r <= RECEIVER_OUTLOOK; r++) {
                char code[8];
                if (!p[r].known || p[r].action == ACTION_ACCEPT)
                        continue;
                snprintf(code, sizeof code, "%d", reply_code(p[r].reply));
                if (strextendf(&s, "%s%s %s", s ? ", " : "", receiver_names[r],
                               reply_code(p[r].reply) ? code : receiver_action_to_string(p[r].action)) < 0)
                        goto oom;
        }
        if (p[RECEIVER_SPAMASSASSIN].known && p[RECEIVER_SPAMASSASSIN].score > 0 &&
            strextendf(&s, "%sSA +%.1f", s ? ", " : "", p[RECEIVER_SPAMASSASSIN].score) < 0)
                goto oom;
        if (p[RECEIVER_RSPAMD].known && p[RECEIVER_RSPAMD].score > 0 &&
            strextendf(&s, "%srspamd +%.1f", s ? ", " : "", p[RECEIVER_RSPAMD].score) < 0)
                goto oom;
        return s ?: strdup("-");
oom:
        free(s);
        return NULL;
}

/* ---- JSON ---- */

void predictions_write_json(JsonWriter *w, const Prediction *p) {
        json_begin_object(w);
        for (Receiver r = 0; p && r < _RECEIVER_MAX; r++) {
                if (!p[r].known)
                        continue;
                json_key(w, receiver_names[r]);
                json_begin_object(w);
                if (!receiver_is_scoring(r)) {
                        json_key(w, "action");
                        json_string(w, action_names[p[r].action]);
                }
                if (p[r].reply) {
                        json_key(w, "reply");
                        json_string(w, p[r].reply);
                }
                if (p[r].note) {
                        json_key(w, "note");
                        json_string(w, p[r].note);
                }
                if (p[r].version) {
                        json_key(w, "version");
                        json_string(w, p[r].version);
                }
                if (receiver_is_scoring(r)) {
                        json_key(w, rules_key(r));
                        json_begin_array(w);
                        for (char **i = p[r].rules; i && *i; i++)
                                json_string(w, *i);
                        json_end_array(w);
                        json_key(w, "score");
                        json_decimal(w, p[r].score, 3);
                }
                if (p[r].basis) {
                        json_key(w, "basis");
                        json_string(w, p[r].basis);
                }
                if (p[r].source) {
                        json_key(w, "source");
                        json_string(w, p[r].source);
                }
                if (p[r].matched) {
                        json_key(w, "matched");
                        json_begin_array(w);
                        for (char **i = p[r].matched; *i; i++)
                                json_string(w, *i);
                        json_end_array(w);
                }
                json_end_object(w);
        }
        json_end_object(w);
}

/* ---- D-Bus ---- */

static int append_one(sd_bus_message *m, Receiver r, const Prediction *p) {
        int k;

        k = sd_bus_message_open_container(m, 'e', "sa{sv}");
        if (k >= 0)
                k = sd_bus_message_append_basic(m, 's', receiver_names[r]);
        if (k >= 0)
                k = sd_bus_message_open_container(m, 'a', "{sv}");
        if (k >= 0 && !receiver_is_scoring(r))
                k = bus_dict_append(m, "action", "s", action_names[p->action]);
        if (k >= 0 && p->reply)
                k = bus_dict_append(m, "reply", "s", p->reply);
        if (k >= 0 && p->note)
                k = bus_dict_append(m, "note", "s", p->note);
        if (k >= 0 && p->version)
                k = bus_dict_append(m, "version", "s", p->version);
        if (k >= 0 && receiver_is_scoring(r))
                k = bus_dict_append_strv(m, rules_key(r), p->rules);
        if (k >= 0 && receiver_is_scoring(r))
                k = bus_dict_append(m, "score", "d", p->score);
        if (k >= 0 && p->basis)
                k = bus_dict_append(m, "basis", "s", p->basis);
        if (k >= 0 && p->source)
                k = bus_dict_append(m, "source", "s", p->source);
        if (k >= 0 && p->matched)
                k = bus_dict_append_strv(m, "matched", p->matched);
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        return k;
}

int predictions_append_bus(sd_bus_message *m, const Prediction *p) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sa{sv}}");
        for (Receiver i = 0; r >= 0 && p && i < _RECEIVER_MAX; i++)
                if (p[i].known)
                        r = append_one(m, i, &p[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* One {sv} of a receiver's a{sv}. */
static int read_field(sd_bus_message *m, const char *key, const char *contents, void *userdata) {
        Prediction *p = userdata;
        _cleanup_free_ char *action = NULL;
        int r, a;

        if (streq(key, "rules") || streq(key, "symbols"))
                return bus_dict_read_strv(m, contents, &p->rules);
        if (streq(key, "score") && streq(contents, "d"))
                return sd_bus_message_read(m, "v", "d", &p->score);
        if (streq(key, "reply"))
                return bus_dict_read_string(m, contents, &p->reply);
        if (streq(key, "note"))
                return bus_dict_read_string(m, contents, &p->note);
        if (streq(key, "version"))
                return bus_dict_read_string(m, contents, &p->version);
        if (streq(key, "basis"))
                return bus_dict_read_string(m, contents, &p->basis);
        if (streq(key, "source"))
                return bus_dict_read_string(m, contents, &p->source);
        if (streq(key, "matched"))
                return bus_dict_read_strv(m, contents, &p->matched);
        if (!streq(key, "action"))
                return sd_bus_message_skip(m, "v");
        r = bus_dict_read_string(m, contents, &action);
        if (r >= 0 && action) {
                a = action_from_string(action);
                p->action = a < 0 ? ACTION_NONE : (ReceiverAction) a;
        }
        return r;
}

static int read_one(sd_bus_message *m, Prediction *all) {
        Prediction scratch = {}, *p;
        const char *name;
        int r, i;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        i = receiver_from_string(name);
        p = i >= 0 ? &all[i] : &scratch;        /* a newer daemon's receiver: read, not kept */
        p->known = true;
        r = bus_dict_read(m, read_field, p);
        free(scratch.reply);
        free(scratch.note);
        free(scratch.version);
        free(scratch.basis);
        free(scratch.source);
        strv_free(scratch.rules);
        strv_free(scratch.matched);
        return r;
}

int predictions_read_bus(sd_bus_message *m, Prediction **ret) {
        Prediction *p = predictions_new();
        int r;

        if (!p)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                r = read_one(m, p);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                predictions_free(p);
                return r;
        }
        *ret = p;
        return 0;
}
