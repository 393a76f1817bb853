/* SPDX-License-Identifier: MIT */
#pragma once

#include "verdict.h"

/* The receivers' own rule files, read at start and on reload, never per
 * check: SpamAssassin's (sa-rules.c), from spamassassin_dir or its own
 * places; Rspamd's hfilter (rspamd-rules.c), from rspamd_plugin or its own. Where a receiver's files are absent its predictions are
 * estimated, and say so ("basis"). One log line each. */
typedef struct ReceiverRules ReceiverRules;
int receiver_rules_load(const char *spamassassin_dir, const char *rspamd_plugin, ReceiverRules **ret);
ReceiverRules *receiver_rules_free(ReceiverRules *r);
static inline void receiver_rules_freep(ReceiverRules **r) {
        receiver_rules_free(*r);
}

/* Each receiver's predicted reaction to mail from v->address with the HELO
 * name v->helo[0], from what the verdict knows (the PTR names in the order
 * the resolver gave them, which confirm, v->helo_dns): fills v->receivers.
 * One table of receivers (receivers-predict.c), each row naming its source.
 * rules: NULL estimates. like: the verdict v replaces, or NULL: when its
 * predictions were made with the same rule files from the same facts, v
 * shares them instead of evaluating the rules again. Pure. */
int receivers_predict(Verdict *v, const ReceiverRules *rules, const Verdict *like);

/* Where each prediction comes from, for the README and explain. */
const char *receiver_source(Receiver r);
