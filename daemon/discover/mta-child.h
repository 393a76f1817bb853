/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "discovery.h"

/* The MTA discovery runs programs (postconf, exim) that may be slow: the
 * daemon runs it in a child process, which writes what it found to a pipe
 * the event loop reads, so the bus never waits for postconf. */

/* Longest a whole MTA discovery may take before the child is killed. */
#define MTA_CHILD_TIMEOUT (2 * USEC_PER_MINUTE)
#define MTA_CHILD_TIMEOUT_TEXT 2min

typedef struct MtaChild MtaChild;

/* result is the callee's to keep (it may take its parts); failed: some tool
 * failed, or the child did. */
typedef void (*mta_child_callback_t)(DiscoveryResult *result, bool failed, void *userdata);

int mta_child_start(sd_event *event, const Config *c, mta_child_callback_t callback, void *userdata, MtaChild **ret);
/* Kills the child if it still runs; never calls back. */
MtaChild *mta_child_free(MtaChild *k);
static inline void mta_child_freep(MtaChild **k) {
        mta_child_free(*k);
}

/* The pipe's text: "id ADDRESS HELO SOURCE", "note TEXT", "failed", "end",
 * tab-separated, escaped. Exposed for the tests. */
int mta_result_format(const DiscoveryResult *r, bool failed, char **ret, size_t *ret_size);
int mta_result_parse(const char *text, DiscoveryResult *ret, bool *ret_failed);
