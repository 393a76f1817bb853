/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "macro.h"
#include "ratelimit.h"

/* The slot of uid; else a free one, else the one idle longest that has no
 * waiting calls (whose bucket is full again by then, or nearly). NULL when
 * every slot has calls waiting. */
static CallerLimit *caller_find(RateLimit *l, uid_t uid, bool create) {
        CallerLimit *spare = NULL;

        for (size_t i = 0; i < ELEMENTSOF(l->callers); i++) {
                CallerLimit *c = &l->callers[i];
                if (c->used && c->uid == uid)
                        return c;
                if (c->pending == 0 && (!spare || !c->used || (spare->used && c->updated < spare->updated)))
                        spare = c;
        }
        if (!create || !spare)
                return NULL;
        *spare = (CallerLimit) { .uid = uid, .used = true, .tokens = RATELIMIT_BURST };
        return spare;
}

bool ratelimit_allow(RateLimit *l, uid_t uid, usec_t now_mono) {
        CallerLimit *c = caller_find(l, uid, true);

        if (!c)
                return false;
        if (c->updated == 0)
                c->updated = now_mono;
        if (now_mono > c->updated)
                c->tokens = MIN((double) RATELIMIT_BURST,
                                c->tokens + (double) (now_mono - c->updated) / (double) RATELIMIT_INTERVAL_USEC);
        c->updated = MAX(c->updated, now_mono);
        if (c->tokens < 1.0)
                return false;
        c->tokens -= 1.0;
        return true;
}

int ratelimit_take_pending(RateLimit *l, uid_t uid, bool privileged) {
        CallerLimit *c;

        if (l->pending >= PENDING_REPLIES_MAX)
                return -EBUSY;
        if (!privileged) {
                if (l->pending_unprivileged >= PENDING_REPLIES_MAX - PENDING_RESERVED_PRIVILEGED)
                        return -EBUSY;
                c = caller_find(l, uid, true);
                if (!c || c->pending >= PENDING_PER_USER_MAX)
                        return -EBUSY;
                c->pending++;
                l->pending_unprivileged++;
        }
        l->pending++;
        return 0;
}

void ratelimit_release_pending(RateLimit *l, uid_t uid, bool privileged) {
        if (!privileged) {
                CallerLimit *c = caller_find(l, uid, false);
                if (c && c->pending > 0)
                        c->pending--;
                if (l->pending_unprivileged > 0)
                        l->pending_unprivileged--;
        }
        if (l->pending > 0)
                l->pending--;
}
