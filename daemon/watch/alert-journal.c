/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "alert.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static char *reasons_string(const Verdict *v) {
        char *s = NULL;

        for (Reason r = 0; r < _REASON_MAX; r++)
                if ((v->reasons & REASON_BIT(r)) && strextendf(&s, "%s%s", s ? " " : "", reason_to_string(r)) < 0) {
                        free(s);
                        return NULL;
                }
        return s ? s : strdup("");
}

void alert_emit(AlertCondition c, const Verdict *old, const Verdict *new) {
        static int use_journal = -1;
        const AlertInfo *info = alert_info(c);
        _cleanup_free_ char *reasons = NULL, *ptr = NULL, *message = NULL;
        char addr[ADDRESS_STRING_MAX];
        const char *was = verdict_kind_to_string(old ? old->kind : VERDICT_UNKNOWN);

        if (!info || !new)
                return;
        if (use_journal < 0)
                use_journal = access(JOURNAL_SOCKET, W_OK) >= 0;

        address_to_string(&new->address, addr);
        reasons = reasons_string(new);
        ptr = strv_join(new->ptr, " ");
        if (c == ALERT_RECOVERED)
                (void) strextendf(&message, "Reverse DNS of %s recovered (%s, was %s): %s",
                                  addr, verdict_kind_to_string(new->kind), was, new->message ? new->message : "");
        else if (c == ALERT_DNS_UNREACHABLE)
                (void) strextendf(&message, "Reverse DNS of %s cannot be checked: %s", addr,
                                  new->message ? new->message : "DNS does not answer");
        else
                (void) strextendf(&message, "%s", new->message ? new->message : "");
        if (!message || !reasons || !ptr) {
                log_error("Out of memory writing an alert for %s", addr);
                return;
        }

        if (use_journal) {
                int r = sd_journal_send("MESSAGE=%s", message,
                                        "MESSAGE_ID=%s", info->message_id,
                                        "PRIORITY=%i", info->priority,
                                        "SYSLOG_IDENTIFIER=ptrwatchd",
                                        "PTRWATCH_ADDRESS=%s", addr,
                                        "PTRWATCH_VERDICT=%s", verdict_kind_to_string(new->kind),
                                        "PTRWATCH_OLD_VERDICT=%s", was,
                                        "PTRWATCH_REASONS=%s", reasons,
                                        "PTRWATCH_PTR=%s", ptr,
                                        "PTRWATCH_ZONE=%s", new->authority && new->authority->zone ?
                                                            new->authority->zone : "",
                                        "PTRWATCH_CONTACT=%s", new->authority && new->authority->contact ?
                                                               new->authority->contact : "",
                                        NULL);
                if (r >= 0)
                        return;
                log_warning("Failed to write to the journal: %s; using stderr", strerror(-r));
        }
        fprintf(stderr, "<%d>%s\n", info->priority, message);
}
