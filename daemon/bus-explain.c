/* SPDX-License-Identifier: MIT */
/* The reply to Explain: the verdict, every lookup behind it, and where each
 * receiver's prediction comes from. */
#include "bus.h"
#include "receivers.h"
#include "verdict-wire.h"

/* Explain's reply: {"verdict": a{sv}, "lookups": aa{sv}, "receiver_sources": a{ss}}. */
int bus_append_explanation(sd_bus_message *reply, const Verdict *v, const Trace *trace) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "verdict");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "a{sv}");
        if (r >= 0)
                r = verdict_append_bus(reply, v);
        for (int i = 0; i < 2 && r >= 0; i++)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "lookups");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "aa{sv}");
        if (r >= 0)
                r = trace_append_bus(reply, trace);
        for (int i = 0; i < 2 && r >= 0; i++)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "receiver_sources");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "a{ss}");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{ss}");
        for (Receiver k = 0; r >= 0 && k < _RECEIVER_MAX; k++)
                r = sd_bus_message_append(reply, "{ss}", receiver_to_string(k), receiver_source(k));
        for (int i = 0; i < 4 && r >= 0; i++)
                r = sd_bus_message_close_container(reply);
        return r;
}

