/* SPDX-License-Identifier: MIT */
/* The reply to Explain: the verdict, every lookup behind it, and where each
 * receiver's prediction comes from. */
#include "bus.h"
#include "bus-dict.h"
#include "receivers-predict.h"
#include "verdict-wire.h"

/* Explain's reply: {"verdict": a{sv}, "lookups": aa{sv}, "receiver_sources": a{ss}}. */
int bus_append_explanation(sd_bus_message *reply, const Verdict *v, const Trace *trace) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = bus_dict_open_entry(reply, "verdict", "a{sv}");
        if (r >= 0)
                r = verdict_append_bus(reply, v);
        if (r >= 0)
                r = bus_dict_close_entry(reply);
        if (r >= 0)
                r = bus_dict_open_entry(reply, "lookups", "aa{sv}");
        if (r >= 0)
                r = trace_append_bus(reply, trace);
        if (r >= 0)
                r = bus_dict_close_entry(reply);
        if (r >= 0)
                r = bus_dict_open_entry(reply, "receiver_sources", "a{ss}");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{ss}");
        for (Receiver k = 0; r >= 0 && k < _RECEIVER_MAX; k++)
                r = sd_bus_message_append(reply, "{ss}", receiver_to_string(k), receiver_source(k));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = bus_dict_close_entry(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}
