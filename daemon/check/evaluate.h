/* SPDX-License-Identifier: MIT */
#pragma once

#include "dnsreply.h"
#include "helo.h"
#include "receivers-predict.h"
#include "verdict.h"

/* The verdict rules of the contract: from DNS replies to a Verdict. */

/* Every PTR name is forward-checked, up to this many. */
#define VERDICT_PTR_NAMES_MAX 32

typedef struct VerdictPolicy {
        usec_t min_ttl;
        usec_t max_ttl;
        const ReceiverRules *rules;     /* the receivers' own rule files; NULL: estimated */
        /* The verdict held for an address, which a new one replaces (its
         * predictions may be shared: receivers_predict()), or NULL. */
        const Verdict *(*current)(const Address *a, void *userdata);
        void *current_userdata;
} VerdictPolicy;

/* Decide the verdict for address a from the PTR reply and one forward reply
 * per PTR name (forward[i] belongs to ptr->names[i]; NULL where that name was
 * not asked: invalid, or past VERDICT_PTR_NAMES_MAX), and the HELO names mail
 * from a is sent with, with their answers (n_helo of them, sorted). Pure: no
 * I/O. */
int verdict_evaluate(const Address *a,
                     const DnsReply *ptr,
                     const DnsReply * const *forward,
                     const HeloAnswers *helo, size_t n_helo,
                     const VerdictPolicy *policy,
                     usec_t now_realtime,
                     Verdict **ret);
