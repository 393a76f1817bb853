/* SPDX-License-Identifier: MIT */
#pragma once

#include "verdict.h"

/* Each receiver's predicted reaction to mail from v->address with the HELO
 * name v->helo[0], from what the verdict knows (the PTR names in the order
 * the resolver gave them, which confirm, v->helo_dns): fills v->receivers.
 * One table of receivers (receivers-predict.c), each row naming its source. Pure. */
int receivers_predict(Verdict *v);

/* Where each prediction comes from, for the README and explain. */
const char *receiver_source(Receiver r);
