/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getdns/getdns.h>
#include <stdlib.h>

#include "bus-dict.h"
#include "macro.h"
#include "strv.h"
#include "trace.h"

const char *dns_type_to_string(uint16_t type) {
        switch (type) {
        case GETDNS_RRTYPE_A:    return "A";
        case GETDNS_RRTYPE_AAAA: return "AAAA";
        case GETDNS_RRTYPE_PTR:  return "PTR";
        case GETDNS_RRTYPE_MX:   return "MX";
        case GETDNS_RRTYPE_NS:   return "NS";
        case GETDNS_RRTYPE_SOA:  return "SOA";
        case GETDNS_RRTYPE_TXT:  return "TXT";
        default:                 return "?";
        }
}

static int answer_text(const DnsReply *r, char ***ret) {
        char **l = NULL;

        if (r->cname_end) {
                char *s = NULL;
                if (strextendf(&s, "CNAME chain to %s", r->cname_end) < 0 || strv_push(&l, s) < 0)
                        goto oom;
        }
        for (char **n = r->names; n && *n; n++)
                if (strv_extend(&l, *n) < 0)
                        goto oom;
        for (size_t i = 0; i < r->n_addresses; i++) {
                char a[ADDRESS_STRING_MAX];
                if (strv_extend(&l, address_to_string(&r->addresses[i], a)) < 0)
                        goto oom;
        }
        if (r->soa_zone) {
                char *s = NULL;
                if (strextendf(&s, "SOA %s %s", r->soa_zone, r->soa_contact ?: "(no contact)") < 0 ||
                    strv_push(&l, s) < 0)
                        goto oom;
        }
        *ret = l;
        return 0;
oom:
        strv_free(l);
        return -ENOMEM;
}

void trace_record(void *userdata, const char *name, uint16_t type, const DnsReply *reply) {
        Trace *t = userdata;
        LookupTrace e = { .type = type, .status = reply->status, .rcode = reply->rcode, .ttl = reply->ttl,
                          .has_ttl = reply->has_ttl };
        LookupTrace *l;

        if (!t || !(e.name = strdup(name)) || answer_text(reply, &e.answer) < 0)
                goto oom;
        l = reallocarray(t->items, t->n + 1, sizeof(LookupTrace));
        if (!l)
                goto oom;
        l[t->n++] = e;
        t->items = l;
        return;
oom:
        free(e.name);
        strv_free(e.answer);
}

void trace_done(Trace *t) {
        for (size_t i = 0; t && i < t->n; i++) {
                free(t->items[i].name);
                strv_free(t->items[i].answer);
        }
        if (t) {
                free(t->items);
                *t = (Trace) {};
        }
}

int trace_append_bus(sd_bus_message *m, const Trace *t) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < t->n; i++) {
                const LookupTrace *e = &t->items[i];
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r >= 0)
                        r = bus_dict_append(m, "name", "s", e->name);
                if (r >= 0)
                        r = bus_dict_append(m, "type", "s", dns_type_to_string(e->type));
                if (r >= 0)
                        r = bus_dict_append(m, "status", "s", dns_status_to_string(e->status));
                if (r >= 0)
                        r = bus_dict_append(m, "rcode", "i", e->rcode);
                if (r >= 0 && e->has_ttl)
                        r = bus_dict_append(m, "ttl", "u", e->ttl);
                if (r >= 0)
                        r = bus_dict_append_strv(m, "answer", e->answer);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}
