/* SPDX-License-Identifier: MIT */
/* Rspamd's hfilter on the host name and HELO, from its own files (see
 * rspamd-rules.h): the maps of hfilter.lua read as regexp_multi maps are
 * ("/regex/flags value" a line, # comments), the symbols' weights from its
 * scores.d, and hfilter_callback()'s order: bad IP, bare IP, the highest
 * weight of checks_hello and checks_hellohost for the HELO, check_host()
 * for a HELO of weight 0, checks_hellohost for the host name, and the
 * higher of the two weights. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "rspamd-rules.h"
#include "strv.h"

#define RSPAMD_PLUGIN "/usr/share/rspamd/plugins/hfilter.lua"
#define RSPAMD_CONFDIR "/etc/rspamd"
#define RSPAMD_LINE_MAX 4096

typedef enum MapId { MAP_HELLOHOST, MAP_HELLO, MAP_BADIP, MAP_BAREIP, _MAP_MAX } MapId;
static const char * const map_names[_MAP_MAX] = {
        [MAP_HELLOHOST] = "checks_hellohost",
        [MAP_HELLO] = "checks_hello",
        [MAP_BADIP] = "checks_hello_badip",
        [MAP_BAREIP] = "checks_hello_bareip",
};

typedef struct MapLine {
        pcre2_code *re;
        int weight;
        char *where;
} MapLine;

typedef struct Weight {
        char *symbol;
        double score;
} Weight;

struct RspamdRules {
        MapLine *map[_MAP_MAX];
        size_t n_map[_MAP_MAX];
        Weight *weights;
        size_t n_weights;
        pcre2_code *fqdn;       /* check_fqdn()'s expression */
        char *source;
};

RspamdRules *rspamd_rules_free(RspamdRules *r) {
        if (!r)
                return NULL;
        for (MapId m = 0; m < _MAP_MAX; m++) {
                for (size_t i = 0; i < r->n_map[m]; i++) {
                        pcre2_code_free(r->map[m][i].re);
                        free(r->map[m][i].where);
                }
                free(r->map[m]);
        }
        for (size_t i = 0; i < r->n_weights; i++)
                free(r->weights[i].symbol);
        free(r->weights);
        pcre2_code_free(r->fqdn);
        free(r->source);
        free(r);
        return NULL;
}

const char *rspamd_rules_source(const RspamdRules *r) {
        return r->source;
}

/* rspamd_regexp_new(): "/re/flags", or the whole word as the pattern when
 * it is not enclosed in slashes. */
static pcre2_code *map_regex(const char *word) {
        uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
        const char *start = word, *end = word + strlen(word);
        const char *close = word[0] == '/' ? strrchr(word, '/') : NULL;
        int error;
        PCRE2_SIZE offset;

        if (close && close > word) {
                start = word + 1;
                for (const char *f = close + 1; *f; f++)
                        switch (*f) {
                        case 'i': options |= PCRE2_CASELESS; break;
                        case 'm': options |= PCRE2_MULTILINE; break;
                        case 's': options |= PCRE2_DOTALL; break;
                        case 'x': options |= PCRE2_EXTENDED; break;
                        default: break;
                        }
                end = close;
        }
        return pcre2_compile((PCRE2_SPTR) start, (PCRE2_SIZE) (end - start), options, &error, &offset, NULL);
}

typedef struct LoadRun {
        RspamdRules *rules;
        unsigned bad;
        char *first_bad;
} LoadRun;

static int load_bad(LoadRun *l, const char *where, const char *why) {
        if (l->bad++ == 0 && asprintf(&l->first_bad, "%s: %s", where, why) < 0)
                return -ENOMEM;
        return 0;
}

/* One map line: "REGEX [VALUE] [# comment]". */
static int map_line(LoadRun *l, MapId m, char *line, const char *where) {
        char *hash = strstr(line, " #");
        char *words[3];
        size_t n = 0;

        if (hash)
                *hash = 0;
        for (char *save = NULL, *w = strtok_r(line, " \t\r\n", &save); w && n < 3; w = strtok_r(NULL, " \t\r\n", &save))
                words[n++] = w;
        if (n == 0)
                return 0;
        MapLine *list = reallocarray(l->rules->map[m], l->rules->n_map[m] + 1, sizeof(MapLine));
        if (!list)
                return -ENOMEM;
        l->rules->map[m] = list;
        MapLine *ml = &list[l->rules->n_map[m]];
        *ml = (MapLine) { .re = map_regex(words[0]), .weight = n > 1 ? atoi(words[1]) : 1, .where = strdup(where) };
        if (!ml->where) {
                pcre2_code_free(ml->re);
                return -ENOMEM;
        }
        if (!ml->re) {
                free(ml->where);
                return load_bad(l, where, "a regular expression PCRE2 does not compile");
        }
        l->rules->n_map[m]++;
        return 0;
}

/* The plugin's maps: "local NAME = [[" … "]]". */
static int load_plugin(LoadRun *l, const char *path) {
        FILE *f = fopen(path, "re");
        char line[RSPAMD_LINE_MAX];
        unsigned number = 0;
        int map = -1, r = 0;

        if (!f)
                return -errno;
        while (r >= 0 && fgets(line, sizeof line, f)) {
                char where[1100], name[64];
                number++;
                if (map < 0) {
                        if (sscanf(line, "local %63s = [[", name) == 1 && strstr(line, "[["))
                                for (MapId m = 0; m < _MAP_MAX; m++)
                                        if (streq(name, map_names[m]))
                                                map = (int) m;
                        continue;
                }
                if (strncmp(line, "]]", 2) == 0) {
                        map = -1;
                        continue;
                }
                snprintf(where, sizeof where, "%s:%u", path, number);
                r = map_line(l, (MapId) map, line, where);
        }
        fclose(f);
        return r;
}

static int set_weight(RspamdRules *rules, const char *symbol, double score) {
        for (size_t i = 0; i < rules->n_weights; i++)
                if (streq(rules->weights[i].symbol, symbol)) {
                        rules->weights[i].score = score;
                        return 0;
                }
        Weight *w = reallocarray(rules->weights, rules->n_weights + 1, sizeof(Weight));
        if (!w)
                return -ENOMEM;
        rules->weights = w;
        w[rules->n_weights] = (Weight) { .symbol = strdup(symbol), .score = score };
        if (!w[rules->n_weights].symbol)
                return -ENOMEM;
        rules->n_weights++;
        return 0;
}

/* scores.d/hfilter_group.conf (UCL): "SYMBOL" { weight = N; … }. Only
 * what that file writes is read: a symbol in quotes, then its weight. */
static int load_weights(RspamdRules *rules, const char *path) {
        FILE *f = fopen(path, "re");
        char line[RSPAMD_LINE_MAX], symbol[128] = "";
        int r = 0;

        if (!f)
                return -errno;
        while (r >= 0 && fgets(line, sizeof line, f)) {
                double w;
                char *q = strchr(line, '"');
                if (q && sscanf(q, "\"%127[A-Z0-9_]\"", symbol) == 1)
                        continue;
                char *p = line + strspn(line, " \t");
                if (*symbol && (sscanf(p, "weight = %lf", &w) == 1 || sscanf(p, "weight=%lf", &w) == 1 ||
                                sscanf(p, "score = %lf", &w) == 1))
                        r = set_weight(rules, symbol, w);
        }
        fclose(f);
        return r;
}

static double weight_of(const RspamdRules *rules, const char *symbol) {
        for (size_t i = 0; i < rules->n_weights; i++)
                if (streq(rules->weights[i].symbol, symbol))
                        return rules->weights[i].score;
        return 0;
}

int rspamd_rules_load(const char *plugin, const char *confdir, RspamdRules **ret, unsigned *ret_bad,
                      char **ret_first_bad) {
        LoadRun l = { .rules = calloc(1, sizeof(RspamdRules)) };
        const char *dir = confdir ?: RSPAMD_CONFDIR;
        static const char * const weight_files[] = { "scores.d", "local.d", "override.d" };
        int r, error;
        PCRE2_SIZE offset;

        *ret = NULL;
        *ret_bad = 0;
        *ret_first_bad = NULL;
        if (!l.rules)
                return -ENOMEM;
        r = load_plugin(&l, plugin ?: RSPAMD_PLUGIN);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(weight_files); i++) {
                char path[1024];
                snprintf(path, sizeof path, "%s/%s/hfilter_group.conf", dir, weight_files[i]);
                int k = load_weights(l.rules, path);
                if (k == -ENOMEM || (k < 0 && i == 0))
                        r = k;
        }
        static const char fqdn[] = "(?=^.{4,253}$)(^((?!-)[a-zA-Z0-9-]{1,63}(?<!-)\\.)+[a-zA-Z0-9-]{2,63}\\.?$)";
        if (r >= 0 && !(l.rules->fqdn = pcre2_compile((PCRE2_SPTR) fqdn, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
                                                      &error, &offset, NULL)))
                r = -ENOMEM;
        if (r >= 0 && asprintf(&l.rules->source, "%s, %s/scores.d/hfilter_group.conf (Rspamd 3.4)",
                               plugin ?: RSPAMD_PLUGIN, dir) < 0)
                r = -ENOMEM;
        if (r < 0 || l.rules->n_map[MAP_HELLOHOST] == 0 || l.rules->n_weights == 0) {
                rspamd_rules_free(l.rules);
                free(l.first_bad);
                return r == -ENOMEM ? r : 0;
        }
        *ret = l.rules;
        *ret_bad = l.bad;
        *ret_first_bad = l.first_bad;
        return 0;
}

/* ---- evaluation ---- */

static bool matches(pcre2_code *re, const char *s, pcre2_match_data *md) {
        return pcre2_match(re, (PCRE2_SPTR) s, strlen(s), 0, 0, md, NULL) >= 0;
}

/* The first line of a map that matches, or NULL; *weight: the highest. */
static const MapLine *map_match(const RspamdRules *r, MapId m, const char *s, int *weight, pcre2_match_data *md) {
        const MapLine *first = NULL;

        for (size_t i = 0; i < r->n_map[m]; i++)
                if (matches(r->map[m][i].re, s, md)) {
                        if (!first)
                                first = &r->map[m][i];
                        if (weight && r->map[m][i].weight > *weight) {
                                *weight = r->map[m][i].weight;
                                first = &r->map[m][i];
                        }
                }
        return first;
}

typedef struct Hits {
        const RspamdRules *rules;
        rspamd_hit_t hit;
        void *userdata;
} Hits;

static int add(const Hits *h, const char *symbol, const char *where) {
        return h->hit(symbol, weight_of(h->rules, symbol), where, h->userdata);
}

/* check_host() for a HELO of weight 0: not an FQDN; or no A and no AAAA
 * (then no MX either). An answer we did not get claims nothing. */
static int check_host(const Hits *h, const RspamdClient *c, const char *helo, pcre2_match_data *md) {
        int r = 0;

        if (!matches(h->rules->fqdn, helo, md))
                return add(h, "HFILTER_HELO_NOT_FQDN", NULL);
        if (!c->helo_dns_answered || c->helo_has_address)
                return 0;
        r = add(h, "HFILTER_HELO_IP_A", NULL);
        if (r >= 0 && !c->helo_has_mx)
                r = add(h, "HFILTER_HELO_NORES_A_OR_MX", NULL);
        return r;
}

static int evaluate(const Hits *h, const RspamdClient *c, pcre2_match_data *md) {
        const RspamdRules *rules = h->rules;
        char helo[300] = "";
        int weight_helo = 0, weight_host = 0, r = 0;
        const MapLine *helo_line = NULL, *host_line = NULL;

        /* string.gsub(helo, '[%[%]]', ''): the brackets go */
        for (const char *p = c->helo ?: ""; *p && strlen(helo) < sizeof helo - 1; p++)
                if (*p != '[' && *p != ']')
                        strncat(helo, p, 1);
        if (c->helo) {
                const MapLine *m;
                if ((m = map_match(rules, MAP_BADIP, helo, NULL, md)))
                        r = add(h, "HFILTER_HELO_BADIP", m->where);
                else if ((m = map_match(rules, MAP_BAREIP, helo, NULL, md)))
                        r = add(h, "HFILTER_HELO_BAREIP", m->where);
                else {
                        int w1 = 0, w2 = 0;
                        const MapLine *a = map_match(rules, MAP_HELLO, helo, &w1, md);
                        const MapLine *b = map_match(rules, MAP_HELLOHOST, helo, &w2, md);
                        weight_helo = MAX(w1, w2);
                        helo_line = w1 >= w2 ? a : b;
                        if (weight_helo == 0)
                                r = check_host(h, c, helo, md);
                }
        }
        if (r >= 0 && c->hostname)
                host_line = map_match(rules, MAP_HELLOHOST, c->hostname, &weight_host, md);
        else if (r >= 0)
                r = add(h, "HFILTER_HOSTNAME_UNKNOWN", NULL);
        if (r < 0)
                return r;
        char symbol[32];
        if (weight_helo > 0 && weight_helo >= weight_host) {
                snprintf(symbol, sizeof symbol, "HFILTER_HELO_%d", weight_helo);
                return add(h, symbol, helo_line ? helo_line->where : NULL);
        }
        if (weight_host > 0 && weight_host > weight_helo) {
                snprintf(symbol, sizeof symbol, "HFILTER_HOSTNAME_%d", weight_host);
                return add(h, symbol, host_line ? host_line->where : NULL);
        }
        return 0;
}

int rspamd_rules_evaluate(const RspamdRules *rules, const RspamdClient *c, rspamd_hit_t hit, void *userdata) {
        pcre2_match_data *md = pcre2_match_data_create(16, NULL);
        Hits h = { .rules = rules, .hit = hit, .userdata = userdata };
        int r;

        if (!md)
                return -ENOMEM;
        r = evaluate(&h, c, md);
        pcre2_match_data_free(md);
        return r;
}
