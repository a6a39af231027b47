/*
 * Loads the daemon's YAML configuration into struct cfg and checks everything that is
 * checkable without other modules: types, ranges, durations, unknown keys, duplicate ids,
 * references between objects of a tenant (numbers → queues/users/flows, overflow targets,
 * relaxation queues, calendars). Every problem is recorded with file:line:col and key
 * path; loading goes on after an error so that `centrala check` reports them all.
 */
#include "core/config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P(buf, parent, key) cy_path(buf, sizeof(buf), parent, key)

#define PARSE_LIST(c, t, n, path, key, arr, count, fn, ...)                                        \
	do {                                                                                       \
		struct fy_node *lst_ = cy_get(n, key), *it_;                                       \
		void *iter_ = NULL;                                                                \
		char lp_[512], ip_[512];                                                           \
		size_t i_ = 0;                                                                     \
		cy_path(lp_, sizeof(lp_), path, key);                                              \
		if (lst_ && cy_is_seq(c, lst_, lp_))                                               \
			while ((it_ = cy_items(lst_, &iter_))) {                                   \
				void *v_ = grow(arr, count, sizeof(*(arr)));                       \
				if (!v_)                                                           \
					break;                                                     \
				arr = v_;                                                          \
				fn(c, it_, cy_path_idx(ip_, sizeof(ip_), lp_, i_++),               \
				   ##__VA_ARGS__, &(arr)[(count)++]);                              \
			}                                                                          \
	} while (0)

static const char *const top_keys[] = {
    "sip",     "rtp", "http",	 "store",	   "recordings", "log", "log_format",
    "prompts", "tts", "tenants", "shutdown_grace", "operators",	 NULL};
static const char *const operator_keys[] = {"username", "name", "password_hash", NULL};
static const char *const sip_keys[] = {
    "listen", "user_agent", "auth_fail_limit", "auth_block", "nonce_ttl", "tls", NULL};
static const char *const rtp_keys[] = {"address", "ports", "workers", "io", "kernel_relay", NULL};
static const char *const http_keys[] = {"listen", "tls", "static", "limits", "webhooks", NULL};
static const char *const http_limit_keys[] = {"body_max",	 "ws_max",	"ws_per_token",
					      "ws_queue_max",	 "rate_per_s",	"login_fail_max",
					      "session_idle",	 "session_max", "login_block",
					      "request_timeout", "header_max",	"idle_timeout",
					      "event_ring",	 NULL};
static const char *const http_tls_keys[] = {"cert", "key", NULL};
static const char *const tts_keys[] = {"cache", NULL};
static const char *const tenant_keys[] = {"id",
					  "name",
					  "domain",
					  "timezone",
					  "language",
					  "country",
					  "users",
					  "queues",
					  "numbers",
					  "trunks",
					  "flows",
					  "calendars",
					  "reason_codes",
					  "dispositions",
					  "prune",
					  "record",
					  "create_contacts",
					  "browser_phone",
					  "channels",
					  "webhooks",
					  "retention",
					  "outbound",
					  "srtp",
					  "recording_encryption",
					  "campaigns",
					  "email",
					  "sms",
					  "web_callback",
					  "chat",
					  NULL};
static const char *const outbound_keys[] = {
    "allow",	      "block",	  "block_defaults", "trunk", "routes",
    "max_concurrent", "per_hour", "per_user_hour",  "hours", NULL};
static const char *const route_keys[] = {"prefix", "trunk", NULL};
static const char *const channel_keys[] = {"capacity", "blocks", NULL};
static const char *const retention_keys[] = {"recordings", "bodies", NULL};
const char *const cfg_channel_names[CFG_CHANNELS] = {"voice", "chat", "email", "sms", "callback"};
static const char *const user_keys[] = {"username", "name",   "password",   "roles",	"sip",
					"skills",   "queues", "auto_ready", "language", NULL};
static const char *const user_sip_keys[] = {"user", "password", NULL};
static const char *const queue_keys[] = {"id",
					 "name",
					 "strategy",
					 "skills",
					 "ring_timeout",
					 "wrap_up",
					 "max_wait",
					 "service_level",
					 "service_level_target",
					 "service_level_formula",
					 "short_abandon",
					 "sticky",
					 "max_len",
					 "priority",
					 "max_no_answer",
					 "relax",
					 "overflow",
					 "hours",
					 "moh",
					 "announce",
					 "callback_digit",
					 "email",
					 "sms",
					 NULL};
static const char *const relax_keys[] = {"after", "min_level", "max_penalty", "add_queue", NULL};
static const char *const announce_keys[] = {"every", "position", "ewt", NULL};
static const char *const target_keys[] = {"queue", "user",    "number", "trunk",
					  "flow",  "message", "hangup", NULL};
static const char *const number_keys[] = {"number", "flow", "queue", "user", "priority", NULL};
static const char *const trunk_keys[] = {
    "id",	    "uri",  "username", "password",	    "caller_id",
    "inbound_from", "srtp", "register", "register_expires", NULL};

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void *grow(void *v, size_t n, size_t size)
{
	void *p = realloc(v, (n + 1) * size);

	if (p)
		memset((char *)p + n * size, 0, size);
	return p;
}

static int parse_listen(struct cy *c, struct fy_node *n, const char *path, struct cfg_listen *l)
{
	const char *s = cy_text(n);
	char proto[8], host[64];
	unsigned port;

	if (!s || sscanf(s, "%7[a-z]:%63[^:]:%u", proto, host, &port) != 3 || port == 0 ||
	    port > 65535) {
		cy_error(c, n, path, "expected \"udp|tcp|tls:ADDRESS:PORT\", got \"%s\"",
			 s ? s : "(not a value)");
		return EINVAL;
	}
	if (!strcmp(proto, "udp"))
		l->proto = CFG_PROTO_UDP;
	else if (!strcmp(proto, "tcp"))
		l->proto = CFG_PROTO_TCP;
	else if (!strcmp(proto, "tls"))
		l->proto = CFG_PROTO_TLS;
	else {
		cy_error(c, n, path, "unknown transport \"%s\" (udp, tcp or tls)", proto);
		return EINVAL;
	}
	snprintf(l->host, sizeof(l->host), "%s", host);
	l->port = (uint16_t)port;
	return 0;
}

static void parse_sip(struct cy *c, struct fy_node *n, struct cfg *cfg)
{
	struct fy_node *lst, *it;
	void *iter = NULL;
	size_t i = 0;
	long v;

	if (!cy_is_map(c, n, "sip"))
		return;
	cy_check_keys(c, n, "sip", sip_keys);
	lst = cy_get(n, "listen");
	if (lst && fy_node_is_scalar(lst)) {
		cfg->sip_listen = calloc(1, sizeof(*cfg->sip_listen));
		if (cfg->sip_listen && !parse_listen(c, lst, "sip.listen", cfg->sip_listen))
			cfg->nsip_listen = 1;
	} else if (lst && cy_is_seq(c, lst, "sip.listen")) {
		while ((it = cy_items(lst, &iter))) {
			char p[64];
			struct cfg_listen *nl =
			    grow(cfg->sip_listen, cfg->nsip_listen, sizeof(*nl));
			if (!nl)
				return;
			cfg->sip_listen = nl;
			if (!parse_listen(c, it, cy_path_idx(p, sizeof(p), "sip.listen", i),
					  &nl[cfg->nsip_listen]))
				cfg->nsip_listen++;
			i++;
		}
	}
	cy_get_dup(c, n, "sip", "user_agent", false, &cfg->sip_user_agent);
	if (!cy_get_int(c, n, "sip", "auth_fail_limit", false, 1, 1000000, &v))
		cfg->auth_fail_limit = v;
	cy_get_ms(c, n, "sip", "auth_block", false, &cfg->auth_block_ms);
	cy_get_ms(c, n, "sip", "nonce_ttl", false, &cfg->nonce_ttl_ms);
	cfg__parse_sip_tls(c, n, cfg);
	cfg__check_sip_tls(c, n, cfg);
}

static void parse_rtp(struct cy *c, struct fy_node *n, struct cfg *cfg)
{
	const char *s;
	long v;

	if (!cy_is_map(c, n, "rtp"))
		return;
	cy_check_keys(c, n, "rtp", rtp_keys);
	if (!cy_get_str(c, n, "rtp", "address", false, &s)) {
		struct in_addr a;
		if (inet_pton(AF_INET, s, &a) != 1)
			cy_error(c, cy_get(n, "address"), "rtp.address",
				 "expected an IPv4 address, got \"%s\"", s);
		else
			snprintf(cfg->rtp_address, sizeof(cfg->rtp_address), "%s", s);
	}
	if (!cy_get_str(c, n, "rtp", "ports", false, &s)) {
		unsigned lo, hi;
		char end;
		if (sscanf(s, "%u-%u%c", &lo, &hi, &end) != 2 || lo < 1024 || hi > 65535 ||
		    lo + 2 > hi)
			cy_error(c, cy_get(n, "ports"), "rtp.ports",
				 "expected a range LOW-HIGH within 1024-65535, got \"%s\"", s);
		else {
			cfg->rtp_port_min = (uint16_t)lo;
			cfg->rtp_port_max = (uint16_t)hi;
		}
	}
	if (!cy_get_int(c, n, "rtp", "workers", false, 0, 256, &v))
		cfg->media_workers = v;
	if (!cy_get_str(c, n, "rtp", "io", false, &s)) {
		if (strcmp(s, "auto") && strcmp(s, "uring") && strcmp(s, "epoll"))
			cy_error(c, cy_get(n, "io"), "rtp.io",
				 "expected auto, uring or epoll, got \"%s\"", s);
		else
			snprintf(cfg->rtp_io, sizeof(cfg->rtp_io), "%s", s);
	}
	if (!cy_get_str(c, n, "rtp", "kernel_relay", false, &s)) {
		if (strcmp(s, "auto") && strcmp(s, "on") && strcmp(s, "off"))
			cy_error(c, cy_get(n, "kernel_relay"), "rtp.kernel_relay",
				 "expected auto, on or off, got \"%s\"", s);
		else
			snprintf(cfg->rtp_kernel_relay, sizeof(cfg->rtp_kernel_relay), "%s", s);
	}
}

static int parse_skills(struct cy *c, struct fy_node *n, const char *path, struct cfg_skill **out,
			size_t *nout)
{
	struct fy_node_pair *pr;
	void *it = NULL;

	if (!n)
		return 0;
	if (!cy_is_map(c, n, path))
		return EINVAL;
	while ((pr = cy_pairs(n, &it))) {
		const char *name = cy_text(fy_node_pair_key(pr));
		char p[512];
		long lvl;
		struct cfg_skill *s;
		if (!name)
			continue;
		if (cy_node_int(c, fy_node_pair_value(pr), P(p, path, name), 1, 10, &lvl))
			continue;
		s = grow(*out, *nout, sizeof(**out));
		if (!s)
			return ENOMEM;
		*out = s;
		s[*nout].name = xstrdup(name);
		s[*nout].level = (int)lvl;
		(*nout)++;
	}
	return 0;
}

static int channel_index(const char *name)
{
	for (int i = 0; name && i < CFG_CHANNELS; i++)
		if (!strcmp(cfg_channel_names[i], name))
			return i;
	return -1;
}

/* `channels: {voice: {capacity: 1, blocks: [chat, email]}, chat: {capacity: 3}}` */
static void parse_channels(struct cy *c, struct fy_node *n, const char *path,
			   struct cfg_channel *out)
{
	struct fy_node_pair *pr;
	void *it = NULL;

	for (int i = 0; i < CFG_CHANNELS; i++)
		out[i] = (struct cfg_channel){.capacity = -1};
	if (!n || !cy_is_map(c, n, path))
		return;
	while ((pr = cy_pairs(n, &it))) {
		struct fy_node *v = fy_node_pair_value(pr), *b, *item;
		const char *name = cy_text(fy_node_pair_key(pr));
		int ch = channel_index(name);
		char p[512], q[560];
		void *bit = NULL;
		if (ch < 0) {
			cy_error(c, fy_node_pair_key(pr), path,
				 "unknown channel \"%s\" (voice, chat, email, sms, callback)",
				 name ? name : "");
			continue;
		}
		P(p, path, name);
		if (!cy_is_map(c, v, p))
			continue;
		cy_check_keys(c, v, p, channel_keys);
		cy_get_int(c, v, p, "capacity", false, 0, 100, &out[ch].capacity);
		if (!(b = cy_get(v, "blocks")) || !cy_is_seq(c, b, P(q, p, "blocks")))
			continue;
		out[ch].has_blocks = true;
		while ((item = cy_items(b, &bit))) {
			int other = channel_index(cy_text(item));
			if (other < 0)
				cy_error(c, item, q, "unknown channel \"%s\"",
					 cy_text(item) ? cy_text(item) : "");
			else
				out[ch].blocks |= 1u << other;
		}
	}
}

static void parse_target(struct cy *c, struct fy_node *n, const char *path, struct cfg_target *t)
{
	static const struct {
		const char *key;
		enum cfg_target_kind kind;
	} kinds[] = {{"queue", CFG_TARGET_QUEUE},     {"user", CFG_TARGET_USER},
		     {"number", CFG_TARGET_NUMBER},   {"flow", CFG_TARGET_FLOW},
		     {"message", CFG_TARGET_MESSAGE}, {"hangup", CFG_TARGET_HANGUP}};
	int found = 0;

	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, target_keys);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *v;
		if (cy_get_str(c, n, path, kinds[i].key, false, &v))
			continue;
		if (found++) {
			cy_error(c, cy_get(n, kinds[i].key), path,
				 "give only one of queue, user, number, flow, message, hangup");
			continue;
		}
		t->kind = kinds[i].kind;
		t->value = xstrdup(v);
	}
	cy_get_dup(c, n, path, "trunk", false, &t->trunk);
	if (!found)
		cy_error(c, n, path, "needs one of queue, user, number, flow, message, hangup");
}

/* Set while cfg_load_fragment parses on this thread: references between objects are
 * then the caller's to check (they point into the running configuration), and a user's
 * SIP password may be left out (the running user's credentials stay). */
static _Thread_local bool loading_fragment;

static void parse_user(struct cy *c, struct fy_node *n, const char *path, struct cfg_tenant *t,
		       struct cfg_user *u)
{
	struct fy_node *roles, *sip, *qs;
	char p[512];

	cy_pos(n, &u->line, &u->col);
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, user_keys);
	cy_get_dup(c, n, path, "username", true, &u->username);
	cy_get_dup(c, n, path, "name", false, &u->name);
	cy_get_dup(c, n, path, "password", false, &u->password);
	cy_get_dup(c, n, path, "language", false, &u->language);
	cy_get_bool(c, n, path, "auto_ready", false, &u->auto_ready);
	roles = cy_get(n, "roles");
	if (roles && cy_is_seq(c, roles, P(p, path, "roles"))) {
		struct fy_node *r;
		void *it = NULL;
		while ((r = cy_items(roles, &it))) {
			const char *s = cy_text(r);
			if (s && !strcmp(s, "agent"))
				u->roles |= CFG_ROLE_AGENT;
			else if (s && !strcmp(s, "supervisor"))
				u->roles |= CFG_ROLE_SUPERVISOR;
			else if (s && !strcmp(s, "admin"))
				u->roles |= CFG_ROLE_ADMIN;
			else if (s && !strcmp(s, "qa"))
				u->roles |= CFG_ROLE_QA;
			else
				cy_error(c, r, p,
					 "unknown role \"%s\" (agent, supervisor, admin, qa)",
					 s ? s : "?");
		}
	} else if (!roles) {
		u->roles = CFG_ROLE_AGENT;
	}
	sip = cy_get(n, "sip");
	if (sip && cy_is_map(c, sip, P(p, path, "sip"))) {
		char *pass = NULL;
		cy_check_keys(c, sip, p, user_sip_keys);
		if (cy_get_dup(c, sip, p, "user", false, &u->sip_user) == ENOENT)
			u->sip_user = xstrdup(u->username);
		if (!cy_get_dup(c, sip, p, "password", !loading_fragment, &pass) && u->sip_user) {
			const char *realm = t->domain ? t->domain : t->id;
			cfg_ha1_md5(u->sip_user, realm ? realm : "", pass, u->ha1_md5);
			cfg_ha1_sha256(u->sip_user, realm ? realm : "", pass, u->ha1_sha256);
		}
		if (pass) {
			sodium_memzero(pass, strlen(pass));
			free(pass);
		}
	}
	parse_skills(c, cy_get(n, "skills"), P(p, path, "skills"), &u->skills, &u->nskills);
	qs = cy_get(n, "queues");
	if (qs && cy_is_map(c, qs, P(p, path, "queues"))) {
		struct fy_node_pair *pr;
		void *it = NULL;
		while ((pr = cy_pairs(qs, &it))) {
			const char *q = cy_text(fy_node_pair_key(pr));
			char p2[512];
			long pen;
			struct cfg_penalty *np;
			if (!q || cy_node_int(c, fy_node_pair_value(pr), P(p2, p, q), 0, 100, &pen))
				continue;
			np = grow(u->queues, u->nqueues, sizeof(*np));
			if (!np)
				return;
			u->queues = np;
			np[u->nqueues].queue = xstrdup(q);
			np[u->nqueues++].penalty = (int)pen;
		}
	}
}

static void parse_queue(struct cy *c, struct fy_node *n, const char *path, struct cfg_queue *q)
{
	struct fy_node *x;
	char p[512];
	long v;

	cy_pos(n, &q->line, &q->col);
	q->ring_timeout_ms = 15000;
	q->service_level_ms = 20000;
	q->service_level_target = 80;
	q->short_abandon_ms = 5000;
	q->max_no_answer = 3;
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, queue_keys);
	cy_get_dup(c, n, path, "id", true, &q->id);
	cy_get_dup(c, n, path, "name", false, &q->name);
	if (cy_get_dup(c, n, path, "strategy", false, &q->strategy) == ENOENT)
		q->strategy = xstrdup("longest-idle");
	cy_get_dup(c, n, path, "service_level_formula", false, &q->sl_formula);
	parse_skills(c, cy_get(n, "skills"), P(p, path, "skills"), &q->skills, &q->nskills);
	cy_get_ms(c, n, path, "ring_timeout", false, &q->ring_timeout_ms);
	cy_get_ms(c, n, path, "wrap_up", false, &q->wrap_up_ms);
	cy_get_ms(c, n, path, "max_wait", false, &q->max_wait_ms);
	cy_get_ms(c, n, path, "service_level", false, &q->service_level_ms);
	cy_get_int(c, n, path, "service_level_target", false, 1, 100, &q->service_level_target);
	cy_get_ms(c, n, path, "short_abandon", false, &q->short_abandon_ms);
	cy_get_ms(c, n, path, "sticky", false, &q->sticky_ms);
	cy_get_int(c, n, path, "max_len", false, 0, 1000000, &q->max_len);
	cy_get_int(c, n, path, "priority", false, 0, 100, &q->priority);
	if (!cy_get_int(c, n, path, "max_no_answer", false, 1, 100, &v))
		q->max_no_answer = v;
	cy_get_dup(c, n, path, "hours", false, &q->hours);
	cy_get_dup(c, n, path, "moh", false, &q->moh);
	cy_get_dup(c, n, path, "callback_digit", false, &q->callback_digit);
	if (q->callback_digit &&
	    (strlen(q->callback_digit) != 1 || !strchr("0123456789*#", q->callback_digit[0])))
		cy_error(c, cy_get(n, "callback_digit"), P(p, path, "callback_digit"),
			 "expected one digit 0-9, * or #");
	if (q->ring_timeout_ms == 0)
		cy_error(c, cy_get(n, "ring_timeout"), P(p, path, "ring_timeout"),
			 "must be longer than 0s");
	x = cy_get(n, "relax");
	if (x && cy_is_seq(c, x, P(p, path, "relax"))) {
		struct fy_node *it;
		void *iter = NULL;
		size_t i = 0;
		while ((it = cy_items(x, &iter))) {
			char p2[512];
			struct cfg_relax *r = grow(q->relax, q->nrelax, sizeof(*r));
			if (!r)
				return;
			q->relax = r;
			r = &r[q->nrelax++];
			cy_path_idx(p2, sizeof(p2), p, i++);
			if (!cy_is_map(c, it, p2))
				continue;
			cy_check_keys(c, it, p2, relax_keys);
			cy_get_ms(c, it, p2, "after", true, &r->after_ms);
			if (!cy_get_int(c, it, p2, "min_level", false, 1, 10, &v))
				r->min_level = (int)v;
			r->max_penalty = -1;
			if (!cy_get_int(c, it, p2, "max_penalty", false, 0, 1000, &v))
				r->max_penalty = (int)v;
			cy_get_dup(c, it, p2, "add_queue", false, &r->add_queue);
		}
	}
	x = cy_get(n, "overflow");
	if (x)
		parse_target(c, x, P(p, path, "overflow"), &q->overflow);
	x = cy_get(n, "announce");
	if (x && cy_is_map(c, x, P(p, path, "announce"))) {
		q->announce_position = q->announce_ewt = true;
		cy_check_keys(c, x, p, announce_keys);
		cy_get_ms(c, x, p, "every", true, &q->announce_every_ms);
		cy_get_bool(c, x, p, "position", false, &q->announce_position);
		cy_get_bool(c, x, p, "ewt", false, &q->announce_ewt);
	}
	cfg__parse_email(c, n, path, &q->email);
	cfg__parse_sms(c, n, path, &q->sms);
}

static void parse_number(struct cy *c, struct fy_node *n, const char *path, struct cfg_number *nb)
{
	static const struct {
		const char *key;
		enum cfg_target_kind kind;
	} kinds[] = {
	    {"flow", CFG_TARGET_FLOW}, {"queue", CFG_TARGET_QUEUE}, {"user", CFG_TARGET_USER}};
	int found = 0;

	cy_pos(n, &nb->line, &nb->col);
	nb->priority = -1;
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, number_keys);
	cy_get_dup(c, n, path, "number", true, &nb->number);
	for (size_t i = 0; i < 3; i++) {
		const char *v;
		if (cy_get_str(c, n, path, kinds[i].key, false, &v))
			continue;
		if (found++) {
			cy_error(c, cy_get(n, kinds[i].key), path,
				 "a number routes to one of flow, queue or user");
			continue;
		}
		nb->target.kind = kinds[i].kind;
		nb->target.value = xstrdup(v);
	}
	if (!found)
		cy_error(c, n, path, "needs one of flow, queue or user");
	cy_get_int(c, n, path, "priority", false, 0, 100, &nb->priority);
}

static void parse_strings(struct cy *c, struct fy_node *n, const char *path, char ***out,
			  size_t *nout);

/* An address or network: "192.0.2.1", "192.0.2.0/24", "2001:db8::1", "2001:db8::/32". */
static bool addr_valid(const char *s)
{
	char ip[64];
	unsigned char buf[16];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long bits = -1;
	int fam;

	if (n == 0 || n >= sizeof(ip))
		return false;
	memcpy(ip, s, n);
	ip[n] = '\0';
	fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, ip, buf) != 1)
		return false;
	if (slash) {
		char *end;
		bits = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || bits < 0 || bits > (fam == AF_INET ? 32 : 128))
			return false;
	}
	return true;
}

/* A destination prefix: "+" then 1 to 15 digits, or digits alone. */
static bool prefix_valid(const char *s)
{
	size_t n = 0;

	if (*s == '+')
		s++;
	for (; *s; s++, n++)
		if (*s < '0' || *s > '9')
			return false;
	return n >= 1 && n <= 15;
}

/* A list of strings each checked by `ok`; errors name the item's position. */
static void parse_checked(struct cy *c, struct fy_node *n, const char *path, char ***out,
			  size_t *nout, bool (*ok)(const char *), const char *what)
{
	struct fy_node *it;
	void *iter = NULL;
	size_t i = 0;

	parse_strings(c, n, path, out, nout);
	if (!n || !fy_node_is_sequence(n))
		return;
	while ((it = cy_items(n, &iter))) {
		char p[512];
		const char *v = cy_text(it);
		if (v && !ok(v))
			cy_error(c, it, cy_path_idx(p, sizeof(p), path, i),
				 "expected %s, got \"%s\"", what, v);
		i++;
	}
}

static void parse_trunk(struct cy *c, struct fy_node *n, const char *path, struct cfg_trunk *tr)
{
	cy_pos(n, &tr->line, &tr->col);
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, trunk_keys);
	cy_get_dup(c, n, path, "id", true, &tr->id);
	if (!cy_get_dup(c, n, path, "uri", true, &tr->uri) && strncmp(tr->uri, "sip:", 4) != 0) {
		char p[512];
		cy_error(c, cy_get(n, "uri"), P(p, path, "uri"),
			 "expected a SIP URI such as sip:192.0.2.1:5060, got \"%s\"", tr->uri);
	}
	cy_get_dup(c, n, path, "username", false, &tr->username);
	cy_get_dup(c, n, path, "password", false, &tr->password);
	cy_get_dup(c, n, path, "caller_id", false, &tr->caller_id);
	{
		char p[512];
		parse_checked(c, cy_get(n, "inbound_from"), P(p, path, "inbound_from"),
			      &tr->inbound_from, &tr->ninbound_from, addr_valid,
			      "an address or network such as 192.0.2.0/24");
	}
	cfg__parse_srtp(c, n, path, &tr->srtp);
	cy_get_bool(c, n, path, "register", false, &tr->register_);
	{
		uint64_t ms = 0;
		char p[512];
		if (!cy_get_ms(c, n, path, "register_expires", false, &ms) &&
		    (ms < 60000 || ms > 86400000))
			cy_error(c, cy_get(n, "register_expires"), P(p, path, "register_expires"),
				 "expected a duration from 60s to 24h");
		tr->register_expires_s = (long)(ms / 1000);
	}
	if (tr->register_ && !tr->username) {
		char p[512];
		cy_error(c, cy_get(n, "register"), P(p, path, "register"),
			 "a trunk that registers needs a username");
	}
}

static void parse_route(struct cy *c, struct fy_node *n, const char *path, struct cfg_route *r)
{
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, route_keys);
	if (!cy_get_dup(c, n, path, "prefix", true, &r->prefix) && !prefix_valid(r->prefix))
		cy_error(c, cy_get(n, "prefix"), path,
			 "expected a prefix such as \"+48\", got \"%s\"", r->prefix);
	cy_get_dup(c, n, path, "trunk", true, &r->trunk);
}

static void parse_outbound(struct cy *c, struct fy_node *n, const char *path,
			   struct cfg_outbound *o)
{
	char p[512];

	o->block_defaults = true;
	if (!n)
		return;
	cy_pos(n, &o->line, &o->col);
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, outbound_keys);
	parse_checked(c, cy_get(n, "allow"), P(p, path, "allow"), &o->allow, &o->nallow,
		      prefix_valid, "a prefix such as \"+48\"");
	parse_checked(c, cy_get(n, "block"), P(p, path, "block"), &o->block, &o->nblock,
		      prefix_valid, "a prefix such as \"+48\"");
	cy_get_bool(c, n, path, "block_defaults", false, &o->block_defaults);
	cy_get_dup(c, n, path, "trunk", false, &o->trunk);
	PARSE_LIST(c, o, n, path, "routes", o->routes, o->nroutes, parse_route);
	cy_get_int(c, n, path, "max_concurrent", false, 0, 1000000, &o->max_concurrent);
	cy_get_int(c, n, path, "per_hour", false, 0, 100000000, &o->per_hour);
	cy_get_int(c, n, path, "per_user_hour", false, 0, 100000000, &o->per_user_hour);
	cy_get_dup(c, n, path, "hours", false, &o->hours);
}

static void parse_strings(struct cy *c, struct fy_node *n, const char *path, char ***out,
			  size_t *nout);

static const char *const web_callback_keys[] = {"queues", "per_address_hour", "per_number_day",
						"days_ahead", NULL};

static void parse_web_callback(struct cy *c, struct fy_node *n, const char *path,
			       struct cfg_web_callback *w)
{
	char p[512];

	w->per_address_hour = 5;
	w->per_number_day = 3;
	w->days_ahead = 7;
	if (!n)
		return;
	cy_pos(n, &w->line, &w->col);
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, web_callback_keys);
	w->enabled = true;
	parse_strings(c, cy_get(n, "queues"), P(p, path, "queues"), &w->queues, &w->nqueues);
	cy_get_int(c, n, path, "per_address_hour", false, 1, 100000, &w->per_address_hour);
	cy_get_int(c, n, path, "per_number_day", false, 1, 1000, &w->per_number_day);
	cy_get_int(c, n, path, "days_ahead", false, 0, 90, &w->days_ahead);
}

static void parse_strings(struct cy *c, struct fy_node *n, const char *path, char ***out,
			  size_t *nout)
{
	struct fy_node *it;
	void *iter = NULL;
	size_t i = 0;

	if (!n || !cy_is_seq(c, n, path))
		return;
	while ((it = cy_items(n, &iter))) {
		char p[512];
		char **v;
		if (!cy_is_scalar(c, it, cy_path_idx(p, sizeof(p), path, i++)))
			continue;
		v = grow(*out, *nout, sizeof(*v));
		if (!v)
			return;
		*out = v;
		v[(*nout)++] = xstrdup(cy_text(it));
	}
}

static const char *const webhook_keys[] = {"id", "url", "events", "secret", NULL};

static void parse_webhook(struct cy *c, struct fy_node *n, const char *path, struct cfg_webhook *w)
{
	const char *why;
	char p[512];

	cy_pos(n, &w->line, &w->col);
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, webhook_keys);
	if (!cy_get_dup(c, n, path, "id", true, &w->id) && (why = cfg_webhook_id_error(w->id)))
		cy_error(c, cy_get(n, "id"), P(p, path, "id"), "%s", why);
	if (!cy_get_dup(c, n, path, "url", true, &w->url) &&
	    ((why = cfg_webhook_url_error(w->url)) ||
	     (!cfg__webhooks_allow_private(c) && (why = cfg_webhook_target_error(w->url)))))
		cy_error(c, cy_get(n, "url"), P(p, path, "url"), "%s, got \"%s\"", why, w->url);
	if (!cy_get_dup(c, n, path, "secret", true, &w->secret) &&
	    (why = cfg_webhook_secret_error(w->secret)))
		cy_error(c, cy_get(n, "secret"), P(p, path, "secret"), "%s", why);
	if (!cy_get(n, "events")) {
		cy_error(c, n, path, "missing key \"events\" (event types, or [\"*\"] for all)");
		return;
	}
	parse_strings(c, cy_get(n, "events"), P(p, path, "events"), &w->events, &w->nevents);
	if (!w->nevents && fy_node_is_sequence(cy_get(n, "events")))
		cy_error(c, n, P(p, path, "events"), /* an empty list has no position */
			 "list at least one event type, or \"*\" for all");
	for (size_t i = 0; i < w->nevents; i++)
		if (!cfg_webhook_event_known(w->events[i])) {
			char ip[512];
			void *iter = NULL;
			struct fy_node *it = NULL;
			for (size_t k = 0; k <= i; k++)
				it = cy_items(cy_get(n, "events"), &iter);
			cy_error(c, it, cy_path_idx(ip, sizeof(ip), p, i),
				 "unknown event type \"%s\"", w->events[i]);
		}
}

static void parse_named(struct cy *c, struct fy_node *n, const char *path,
			struct cfg_named_node **out, size_t *nout)
{
	struct fy_node_pair *pr;
	void *it = NULL;

	if (!n || !cy_is_map(c, n, path))
		return;
	while ((pr = cy_pairs(n, &it))) {
		const char *name = cy_text(fy_node_pair_key(pr));
		struct cfg_named_node *v = grow(*out, *nout, sizeof(**out));
		if (!v)
			return;
		*out = v;
		v[*nout].name = xstrdup(name ? name : "");
		v[*nout].node = fy_node_pair_value(pr);
		cy_path(v[*nout].path, sizeof(v[*nout].path), path, name ? name : "?");
		(*nout)++;
	}
}

/* A list section: every item parsed by `fn` into a fresh element of *arr. */

static const struct cfg_queue *queue_in(const struct cfg_tenant *t, const char *id)
{
	return id ? cfg_queue_find(t, id) : NULL;
}

/* References between a tenant's objects, and duplicate ids. */
static void check_tenant_refs(struct cy *c, struct cfg_tenant *t, const char *path)
{
	char p[512];

	for (size_t i = 0; i < t->nusers; i++) {
		for (size_t j = 0; j < i; j++)
			if (t->users[i].username && t->users[j].username &&
			    !strcmp(t->users[i].username, t->users[j].username))
				cy_error(c, NULL, path, "%d:%d: duplicate username \"%s\"",
					 t->users[i].line, t->users[i].col, t->users[i].username);
		for (size_t k = 0; k < t->users[i].nqueues; k++)
			if (!queue_in(t, t->users[i].queues[k].queue))
				cy_error(c, NULL, path, "%d:%d: user \"%s\": unknown queue \"%s\"",
					 t->users[i].line, t->users[i].col,
					 t->users[i].username ? t->users[i].username : "?",
					 t->users[i].queues[k].queue);
	}
	for (size_t i = 0; i < t->nqueues; i++) {
		const struct cfg_queue *q = &t->queues[i];
		snprintf(p, sizeof(p), "%s.queues[%zu]", path, i);
		for (size_t j = 0; j < i; j++)
			if (q->id && t->queues[j].id && !strcmp(q->id, t->queues[j].id))
				cy_error(c, NULL, p, "%d:%d: duplicate queue id \"%s\"", q->line,
					 q->col, q->id);
		for (size_t r = 0; r < q->nrelax; r++)
			if (q->relax[r].add_queue && !queue_in(t, q->relax[r].add_queue))
				cy_error(c, NULL, p, "%d:%d: relax: unknown queue \"%s\"", q->line,
					 q->col, q->relax[r].add_queue);
		if (q->overflow.kind == CFG_TARGET_QUEUE && !queue_in(t, q->overflow.value))
			cy_error(c, NULL, p, "%d:%d: overflow: unknown queue \"%s\"", q->line,
				 q->col, q->overflow.value);
		if (q->overflow.kind == CFG_TARGET_USER && !cfg_user_find(t, q->overflow.value))
			cy_error(c, NULL, p, "%d:%d: overflow: unknown user \"%s\"", q->line,
				 q->col, q->overflow.value);
		if (q->overflow.kind == CFG_TARGET_NUMBER && !t->ntrunks)
			cy_error(c, NULL, p, "%d:%d: overflow to a number needs a trunk", q->line,
				 q->col);
		if (q->hours && !cfg_calendar_find(t, q->hours))
			cy_error(c, NULL, p, "%d:%d: unknown calendar \"%s\"", q->line, q->col,
				 q->hours);
	}
	for (size_t i = 0; i < t->nnumbers; i++) {
		const struct cfg_number *nb = &t->numbers[i];
		const struct cfg_target *tg = &nb->target;
		snprintf(p, sizeof(p), "%s.numbers[%zu]", path, i);
		if (tg->kind == CFG_TARGET_QUEUE && !queue_in(t, tg->value))
			cy_error(c, NULL, p, "%d:%d: unknown queue \"%s\"", nb->line, nb->col,
				 tg->value);
		if (tg->kind == CFG_TARGET_USER && !cfg_user_find(t, tg->value))
			cy_error(c, NULL, p, "%d:%d: unknown user \"%s\"", nb->line, nb->col,
				 tg->value);
		if (tg->kind == CFG_TARGET_FLOW && !cfg_flow_find(t, tg->value))
			cy_error(c, NULL, p, "%d:%d: unknown flow \"%s\"", nb->line, nb->col,
				 tg->value);
	}
	if (t->outbound.trunk && !cfg_trunk_find(t, t->outbound.trunk))
		cy_error(c, NULL, path, "%d:%d: outbound: unknown trunk \"%s\"", t->outbound.line,
			 t->outbound.col, t->outbound.trunk);
	for (size_t i = 0; i < t->outbound.nroutes; i++)
		if (t->outbound.routes[i].trunk && !cfg_trunk_find(t, t->outbound.routes[i].trunk))
			cy_error(c, NULL, path, "%d:%d: outbound.routes[%zu]: unknown trunk \"%s\"",
				 t->outbound.line, t->outbound.col, i, t->outbound.routes[i].trunk);
	for (size_t i = 0; i < t->web_callback.nqueues; i++)
		if (!cfg_queue_find(t, t->web_callback.queues[i]))
			cy_error(c, NULL, path,
				 "%d:%d: web_callback.queues[%zu]: unknown queue \"%s\"",
				 t->web_callback.line, t->web_callback.col, i,
				 t->web_callback.queues[i]);
	cfg__check_chat(c, t, path);
	if (t->outbound.hours && !cfg_calendar_find(t, t->outbound.hours))
		cy_error(c, NULL, path, "%d:%d: outbound: unknown calendar \"%s\"",
			 t->outbound.line, t->outbound.col, t->outbound.hours);
	for (size_t i = 0; i < t->ntrunks; i++)
		for (size_t j = 0; j < i; j++)
			if (t->trunks[i].id && t->trunks[j].id &&
			    !strcmp(t->trunks[i].id, t->trunks[j].id))
				cy_error(c, NULL, path, "%d:%d: duplicate trunk id \"%s\"",
					 t->trunks[i].line, t->trunks[i].col, t->trunks[i].id);
}

static void parse_tenant(struct cy *c, struct fy_node *n, const char *path, struct cfg_tenant *t)
{
	struct fy_node *r;
	char p[512];

	cy_pos(n, &t->line, &t->col);
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, tenant_keys);
	if (!cy_get_dup(c, n, path, "id", true, &t->id)) {
		for (const char *s = t->id; *s; s++)
			if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
			      *s == '_')) {
				cy_error(c, cy_get(n, "id"), P(p, path, "id"),
					 "use lower-case letters, digits, - and _");
				break;
			}
	}
	cy_get_dup(c, n, path, "name", false, &t->name);
	if (cy_get_dup(c, n, path, "domain", false, &t->domain) == ENOENT)
		t->domain = xstrdup(t->id);
	if (cy_get_dup(c, n, path, "timezone", false, &t->timezone) == ENOENT)
		t->timezone = xstrdup("UTC");
	if (cy_get_dup(c, n, path, "language", false, &t->language) == ENOENT)
		t->language = xstrdup("en");
	cy_get_dup(c, n, path, "country", false, &t->country);
	cy_get_bool(c, n, path, "prune", false, &t->prune);
	t->record = true;
	cy_get_bool(c, n, path, "record", false, &t->record);
	t->create_contacts = true;
	cy_get_bool(c, n, path, "create_contacts", false, &t->create_contacts);
	t->browser_phone = true;
	cy_get_bool(c, n, path, "browser_phone", false, &t->browser_phone);
	parse_channels(c, cy_get(n, "channels"), P(p, path, "channels"), t->channels);
	t->srtp = CFG_SRTP_OPTIONAL;
	cfg__parse_srtp(c, n, path, &t->srtp);
	cfg__parse_rec_encryption(c, n, path, t);
	if ((r = cy_get(n, "retention")) && cy_is_map(c, r, P(p, path, "retention"))) {
		char rp[512];
		snprintf(rp, sizeof(rp), "%s", P(p, path, "retention"));
		cy_check_keys(c, r, rp, retention_keys);
		cy_get_ms(c, r, rp, "recordings", false, &t->retain_recordings_ms);
		cy_get_ms(c, r, rp, "bodies", false, &t->retain_bodies_ms);
	}
	/* Calendars and flows first: queues and numbers refer to them. */
	parse_named(c, cy_get(n, "flows"), P(p, path, "flows"), &t->flows, &t->nflows);
	parse_named(c, cy_get(n, "calendars"), P(p, path, "calendars"), &t->calendars,
		    &t->ncalendars);
	PARSE_LIST(c, t, n, path, "users", t->users, t->nusers, parse_user, t);
	cfg__parse_email(c, n, path, &t->email);
	cfg__parse_sms(c, n, path, &t->sms);
	PARSE_LIST(c, t, n, path, "queues", t->queues, t->nqueues, parse_queue);
	cfg__resolve_email(c, t, path);
	cfg__resolve_sms(c, t, path);
	PARSE_LIST(c, t, n, path, "numbers", t->numbers, t->nnumbers, parse_number);
	PARSE_LIST(c, t, n, path, "trunks", t->trunks, t->ntrunks, parse_trunk);
	parse_outbound(c, cy_get(n, "outbound"), P(p, path, "outbound"), &t->outbound);
	parse_web_callback(c, cy_get(n, "web_callback"), P(p, path, "web_callback"),
			   &t->web_callback);
	cfg__parse_chat(c, cy_get(n, "chat"), P(p, path, "chat"), &t->chat);
	t->campaigns = cy_get(n, "campaigns");
	parse_strings(c, cy_get(n, "reason_codes"), P(p, path, "reason_codes"), &t->reason_codes,
		      &t->nreason_codes);
	parse_strings(c, cy_get(n, "dispositions"), P(p, path, "dispositions"), &t->dispositions,
		      &t->ndispositions);
	PARSE_LIST(c, t, n, path, "webhooks", t->webhooks, t->nwebhooks, parse_webhook);
	for (size_t i = 0; i < t->nwebhooks; i++)
		for (size_t j = 0; j < i; j++)
			if (t->webhooks[i].id && t->webhooks[j].id &&
			    !strcmp(t->webhooks[i].id, t->webhooks[j].id))
				cy_error(c, NULL, path, "%d:%d: duplicate webhook id \"%s\"",
					 t->webhooks[i].line, t->webhooks[i].col,
					 t->webhooks[i].id);
	if (!t->nreason_codes) {
		static const char *const defaults[] = {"break", "lunch", "training", "meeting",
						       "coaching"};
		t->reason_codes = calloc(5, sizeof(char *));
		for (size_t i = 0; t->reason_codes && i < 5; i++)
			t->reason_codes[t->nreason_codes++] = xstrdup(defaults[i]);
	}
	if (!loading_fragment)
		check_tenant_refs(c, t, path);
}

static void apply_defaults(struct cfg *cfg)
{
	if (!cfg->nsip_listen) {
		/* A list whose every entry was wrong is replaced, not kept. */
		free(cfg->sip_listen);
		cfg->sip_listen = calloc(2, sizeof(*cfg->sip_listen));
		if (cfg->sip_listen) {
			cfg->sip_listen[0] = (struct cfg_listen){CFG_PROTO_UDP, "127.0.0.1", 5060};
			cfg->sip_listen[1] = (struct cfg_listen){CFG_PROTO_TCP, "127.0.0.1", 5060};
			cfg->nsip_listen = 2;
		}
	}
	if (!cfg->sip_user_agent)
		cfg->sip_user_agent = xstrdup("centrala/" CENTRALA_VERSION);
	if (!cfg->auth_fail_limit)
		cfg->auth_fail_limit = 10;
	if (!cfg->auth_block_ms)
		cfg->auth_block_ms = 600000;
	if (!cfg->nonce_ttl_ms)
		cfg->nonce_ttl_ms = 300000;
	if (!cfg->shutdown_grace_set)
		cfg->shutdown_grace_ms = 30000;
	if (!cfg->rtp_address[0])
		snprintf(cfg->rtp_address, sizeof(cfg->rtp_address), "127.0.0.1");
	if (!cfg->rtp_port_min) {
		cfg->rtp_port_min = 30000;
		cfg->rtp_port_max = 39999;
	}
	if (!cfg->http_listen[0])
		snprintf(cfg->http_listen, sizeof(cfg->http_listen), "127.0.0.1:8080");
	if (!cfg->store)
		cfg->store = xstrdup("sqlite:var/centrala.db");
	if (!cfg->recordings)
		cfg->recordings = xstrdup("var/recordings");
	if (!cfg->prompts)
		cfg->prompts = xstrdup("prompts");
	if (!cfg->tts_cache)
		cfg->tts_cache = xstrdup("var/tts");
	if (!cfg->log_level)
		cfg->log_level = xstrdup("info");
	if (!cfg->log_format)
		cfg->log_format = xstrdup("kv");
}

/* A number belongs to one tenant: a call that names it without a tenant's domain (from a
 * carrier, addressed to our IP) is routed by its owner, which must be unique. Two
 * tenants with one SIP domain could not be told apart either. */
static void check_numbers_and_domains(struct cy *c, const struct cfg *cfg)
{
	char p[512];

	for (size_t i = 0; i < cfg->ntenants; i++) {
		const struct cfg_tenant *t = &cfg->tenants[i];
		for (size_t j = 0; j < i && t->domain; j++)
			if (cfg->tenants[j].domain && !strcmp(t->domain, cfg->tenants[j].domain))
				cy_error(c, NULL, "tenants",
					 "%d:%d: domain \"%s\" is tenant %s's too", t->line, t->col,
					 t->domain, cfg->tenants[j].id ? cfg->tenants[j].id : "?");
		for (size_t k = 0; k < t->nnumbers; k++) {
			const struct cfg_number *nb = &t->numbers[k];
			if (!nb->number)
				continue;
			snprintf(p, sizeof(p), "tenants[%zu].numbers[%zu]", i, k);
			for (size_t j = 0; j <= i; j++) {
				const struct cfg_tenant *o = &cfg->tenants[j];
				size_t end = j == i ? k : o->nnumbers;
				for (size_t m = 0; m < end; m++)
					if (o->numbers[m].number &&
					    !strcmp(o->numbers[m].number, nb->number))
						cy_error(c, NULL, p,
							 "%d:%d: number \"%s\" is already tenant "
							 "%s's (line %d)",
							 nb->line, nb->col, nb->number,
							 o->id ? o->id : "?", o->numbers[m].line);
			}
		}
	}
}

/* An operator of the service: works in every tenant through the API (docs/api.md). */
static void parse_operator(struct cy *c, struct fy_node *n, const char *path,
			   struct cfg_operator *o)
{
	cy_pos(n, &o->line, &o->col);
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, operator_keys);
	if (!cy_get_dup(c, n, path, "username", true, &o->username) &&
	    (!o->username[0] || strlen(o->username) > 38 || strchr(o->username, ':')))
		cy_error(c, cy_get(n, "username"), path, "username: 1 to 38 bytes, without ':'");
	cy_get_dup(c, n, path, "name", false, &o->name);
	if (!cy_get_dup(c, n, path, "password_hash", true, &o->password_hash) &&
	    strncmp(o->password_hash, "$argon2id$", 10))
		cy_error(c, cy_get(n, "password_hash"), path,
			 "password_hash: an Argon2id hash (\"$argon2id$...\", see `centrala "
			 "hash-password`)");
}

static void parse_root(struct cfg *cfg)
{
	struct cy *c = cfg->cy;
	struct fy_node *root = cy_root(c), *n, *tls;
	const char *s;

	if (!root) {
		if (!cy_error_count(c))
			cy_error(c, NULL, "", "the file is empty");
		return;
	}
	if (!cy_is_map(c, root, ""))
		return;
	cy_check_keys(c, root, "", top_keys);
	if ((n = cy_get(root, "sip")))
		parse_sip(c, n, cfg);
	if ((n = cy_get(root, "rtp")))
		parse_rtp(c, n, cfg);
	if ((n = cy_get(root, "http")) && cy_is_map(c, n, "http")) {
		cy_check_keys(c, n, "http", http_keys);
		if (!cy_get_str(c, n, "http", "listen", false, &s)) {
			char host[64];
			unsigned port;
			if (sscanf(s, "%63[^:]:%u", host, &port) != 2 || !port || port > 65535)
				cy_error(c, cy_get(n, "listen"), "http.listen",
					 "expected ADDRESS:PORT, got \"%s\"", s);
			else
				snprintf(cfg->http_listen, sizeof(cfg->http_listen), "%s", s);
		}
		cy_get_dup(c, n, "http", "static", false, &cfg->http_static);
		if ((tls = cy_get(n, "limits")) && cy_is_map(c, tls, "http.limits")) {
			struct cfg_http_limits *l = &cfg->http_limits;
			const char *lp = "http.limits";
			long v;
			cy_check_keys(c, tls, lp, http_limit_keys);
			if (!cy_get_int(c, tls, lp, "body_max", false, 1024, 1L << 30, &v))
				l->body_max = v;
			if (!cy_get_int(c, tls, lp, "ws_max", false, 1, 1000000, &v))
				l->ws_max = v;
			if (!cy_get_int(c, tls, lp, "ws_per_token", false, 1, 10000, &v))
				l->ws_per_token = v;
			if (!cy_get_int(c, tls, lp, "ws_queue_max", false, 8, 1000000, &v))
				l->ws_queue_max = v;
			if (!cy_get_int(c, tls, lp, "rate_per_s", false, 1, 10000000, &v))
				l->rate_per_s = v;
			if (!cy_get_int(c, tls, lp, "login_fail_max", false, 1, 1000, &v))
				l->login_fail_max = v;
			cy_get_ms(c, tls, lp, "session_idle", false, &l->session_idle_ms);
			cy_get_ms(c, tls, lp, "session_max", false, &l->session_max_ms);
			cy_get_ms(c, tls, lp, "login_block", false, &l->login_block_ms);
			cy_get_ms(c, tls, lp, "request_timeout", false, &l->request_timeout_ms);
			if (!cy_get_int(c, tls, lp, "header_max", false, 1024, 65535, &v))
				l->header_max = v;
			if (!cy_get_int(c, tls, lp, "event_ring", false, 16, 1L << 20, &v))
				l->event_ring = v;
			cy_get_ms(c, tls, lp, "idle_timeout", false, &l->idle_timeout_ms);
			if (l->idle_timeout_ms && l->idle_timeout_ms < 1000)
				cy_error(c, cy_get(tls, "idle_timeout"), "http.limits.idle_timeout",
					 "at least 1s");
		}
		cfg__parse_http_webhooks(c, n, cfg);
		if ((tls = cy_get(n, "tls")) && cy_is_map(c, tls, "http.tls")) {
			cy_check_keys(c, tls, "http.tls", http_tls_keys);
			cy_get_dup(c, tls, "http.tls", "cert", true, &cfg->http_tls_cert);
			cy_get_dup(c, tls, "http.tls", "key", true, &cfg->http_tls_key);
		}
	}
	if (!cy_get_dup(c, root, "", "store", false, &cfg->store) &&
	    strncmp(cfg->store, "sqlite:", 7) && strncmp(cfg->store, "postgresql://", 13) &&
	    strncmp(cfg->store, "postgres://", 11))
		cy_error(c, cy_get(root, "store"), "store",
			 "expected \"sqlite:PATH\" or \"postgresql://...\"");
	cy_get_dup(c, root, "", "recordings", false, &cfg->recordings);
	cy_get_dup(c, root, "", "prompts", false, &cfg->prompts);
	if (cy_get(root, "shutdown_grace") &&
	    !cy_get_ms(c, root, "", "shutdown_grace", false, &cfg->shutdown_grace_ms))
		cfg->shutdown_grace_set = true;
	if ((n = cy_get(root, "log")) && cy_is_scalar(c, n, "log")) {
		cfg->log_level = xstrdup(cy_text(n));
		if (strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
		    strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error"))
			cy_error(c, n, "log", "expected debug, info, warn or error");
	}
	if ((n = cy_get(root, "log_format")) && cy_is_scalar(c, n, "log_format")) {
		cfg->log_format = xstrdup(cy_text(n));
		if (strcmp(cfg->log_format, "kv") && strcmp(cfg->log_format, "json"))
			cy_error(c, n, "log_format", "expected kv or json");
	}
	if ((n = cy_get(root, "tts")) && cy_is_map(c, n, "tts")) {
		cy_check_keys(c, n, "tts", tts_keys);
		cy_get_dup(c, n, "tts", "cache", false, &cfg->tts_cache);
	}
	PARSE_LIST(c, t, root, "", "tenants", cfg->tenants, cfg->ntenants, parse_tenant);
	PARSE_LIST(c, t, root, "", "operators", cfg->operators, cfg->noperators, parse_operator);
	for (size_t i = 0; i < cfg->noperators; i++)
		for (size_t j = 0; j < i; j++)
			if (cfg->operators[i].username && cfg->operators[j].username &&
			    !strcmp(cfg->operators[i].username, cfg->operators[j].username))
				cy_error(c, NULL, "operators", "%d:%d: duplicate operator \"%s\"",
					 cfg->operators[i].line, cfg->operators[i].col,
					 cfg->operators[i].username);
	for (size_t i = 0; i < cfg->ntenants; i++)
		for (size_t j = 0; j < i; j++)
			if (cfg->tenants[i].id && cfg->tenants[j].id &&
			    !strcmp(cfg->tenants[i].id, cfg->tenants[j].id))
				cy_error(c, NULL, "tenants", "%d:%d: duplicate tenant id \"%s\"",
					 cfg->tenants[i].line, cfg->tenants[i].col,
					 cfg->tenants[i].id);
	check_numbers_and_domains(c, cfg);
	apply_defaults(cfg);
}

static int finish_load(struct cfg *cfg, int rc, struct cfg **out)
{
	if (rc) {
		free(cfg);
		return rc;
	}
	if (sodium_init() < 0) {
		cy_free(cfg->cy);
		free(cfg);
		return ENOSYS;
	}
	parse_root(cfg);
	*out = cfg;
	return 0;
}

int cfg_load(const char *path, struct cfg **out)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return ENOMEM;
	return finish_load(cfg, cy_load_file(path, &cfg->cy), out);
}

int cfg_load_string(const char *name, const char *text, struct cfg **out)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return ENOMEM;
	return finish_load(cfg, cy_load_string(name, text, &cfg->cy), out);
}

int cfg_load_fragment(const char *tenant, const char *section, const char *json, struct cfg **out)
{
	return cfg_load_fragment_in(tenant, NULL, section, json, out);
}

int cfg_load_fragment_in(const char *tenant, const char *domain, const char *section,
			 const char *json, struct cfg **out)
{
	size_t n =
	    strlen(tenant) + (domain ? strlen(domain) : 0) + strlen(section) + strlen(json) + 96;
	char *text = malloc(n);
	int err;

	if (!text)
		return ENOMEM;
	/* The domain is quoted as JSON would be: it is the file's, already checked. */
	if (domain)
		snprintf(text, n, "tenants:\n- id: %s\n  domain: \"%s\"\n  %s:\n  - %s\n", tenant,
			 domain, section, json);
	else
		snprintf(text, n, "tenants:\n- id: %s\n  %s:\n  - %s\n", tenant, section, json);
	loading_fragment = true;
	err = cfg_load_string("api", text, out);
	loading_fragment = false;
	free(text);
	return err;
}

static void free_secret(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

static void free_target(struct cfg_target *t)
{
	free(t->value);
	free(t->trunk);
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_tenant(struct cfg_tenant *t)
{
	for (size_t i = 0; i < t->nusers; i++) {
		struct cfg_user *u = &t->users[i];
		free(u->username);
		free(u->name);
		free_secret(u->password);
		free(u->sip_user);
		free(u->language);
		for (size_t j = 0; j < u->nskills; j++)
			free(u->skills[j].name);
		free(u->skills);
		for (size_t j = 0; j < u->nqueues; j++)
			free(u->queues[j].queue);
		free(u->queues);
	}
	free(t->users);
	for (size_t i = 0; i < t->nqueues; i++) {
		struct cfg_queue *q = &t->queues[i];
		free(q->id);
		free(q->name);
		free(q->strategy);
		free(q->sl_formula);
		for (size_t j = 0; j < q->nskills; j++)
			free(q->skills[j].name);
		free(q->skills);
		for (size_t j = 0; j < q->nrelax; j++)
			free(q->relax[j].add_queue);
		free(q->relax);
		free_target(&q->overflow);
		free(q->hours);
		free(q->moh);
		free(q->callback_digit);
		cfg__free_email(q->email);
		cfg__free_sms(q->sms);
	}
	free(t->queues);
	cfg__free_email(t->email);
	cfg__free_sms(t->sms);
	for (size_t i = 0; i < t->nnumbers; i++) {
		free(t->numbers[i].number);
		free_target(&t->numbers[i].target);
	}
	free(t->numbers);
	for (size_t i = 0; i < t->ntrunks; i++) {
		free(t->trunks[i].id);
		free(t->trunks[i].uri);
		free(t->trunks[i].username);
		free_secret(t->trunks[i].password);
		free(t->trunks[i].caller_id);
		free_strings(t->trunks[i].inbound_from, t->trunks[i].ninbound_from);
	}
	free(t->trunks);
	free_strings(t->outbound.allow, t->outbound.nallow);
	free_strings(t->outbound.block, t->outbound.nblock);
	free(t->outbound.trunk);
	for (size_t i = 0; i < t->outbound.nroutes; i++) {
		free(t->outbound.routes[i].prefix);
		free(t->outbound.routes[i].trunk);
	}
	free(t->outbound.routes);
	free(t->outbound.hours);
	free_strings(t->web_callback.queues, t->web_callback.nqueues);
	cfg__free_chat(&t->chat);
	for (size_t i = 0; i < t->nflows; i++)
		free(t->flows[i].name);
	free(t->flows);
	for (size_t i = 0; i < t->ncalendars; i++)
		free(t->calendars[i].name);
	free(t->calendars);
	for (size_t i = 0; i < t->nreason_codes; i++)
		free(t->reason_codes[i]);
	free(t->reason_codes);
	for (size_t i = 0; i < t->ndispositions; i++)
		free(t->dispositions[i]);
	free(t->dispositions);
	for (size_t i = 0; i < t->nwebhooks; i++) {
		free(t->webhooks[i].id);
		free(t->webhooks[i].url);
		for (size_t k = 0; k < t->webhooks[i].nevents; k++)
			free(t->webhooks[i].events[k]);
		free(t->webhooks[i].events);
		free_secret(t->webhooks[i].secret);
	}
	free(t->webhooks);
	free(t->id);
	free(t->name);
	free(t->domain);
	free(t->timezone);
	free(t->language);
	free(t->country);
	sodium_memzero(t->rec_key, sizeof(t->rec_key));
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ntenants; i++)
		free_tenant(&c->tenants[i]);
	free(c->tenants);
	for (size_t i = 0; i < c->noperators; i++) {
		free(c->operators[i].username);
		free(c->operators[i].name);
		free(c->operators[i].password_hash);
	}
	free(c->operators);
	free(c->sip_listen);
	free(c->sip_user_agent);
	free(c->store);
	free(c->recordings);
	free(c->http_static);
	free(c->http_tls_cert);
	free(c->http_tls_key);
	free(c->sip_tls_cert);
	free(c->sip_tls_key);
	free(c->sip_tls_ca);
	free(c->prompts);
	free(c->tts_cache);
	free(c->log_level);
	free(c->log_format);
	cy_free(c->cy);
	free(c);
}

size_t cfg_error_count(const struct cfg *c)
{
	return cy_error_count(c->cy);
}

const char *cfg_error_at(const struct cfg *c, size_t i)
{
	return cy_error_at(c->cy, i);
}

const struct cfg_operator *cfg_operator_find(const struct cfg *c, const char *username)
{
	for (size_t i = 0; c && username && i < c->noperators; i++)
		if (!strcmp(c->operators[i].username, username))
			return &c->operators[i];
	return NULL;
}

const struct cfg_tenant *cfg_tenant_find(const struct cfg *c, const char *id)
{
	for (size_t i = 0; i < c->ntenants; i++)
		if (c->tenants[i].id && !strcmp(c->tenants[i].id, id))
			return &c->tenants[i];
	return NULL;
}

const struct cfg_queue *cfg_queue_find(const struct cfg_tenant *t, const char *id)
{
	for (size_t i = 0; i < t->nqueues; i++)
		if (t->queues[i].id && !strcmp(t->queues[i].id, id))
			return &t->queues[i];
	return NULL;
}

const struct cfg_trunk *cfg_trunk_find(const struct cfg_tenant *t, const char *id)
{
	for (size_t i = 0; id && i < t->ntrunks; i++)
		if (t->trunks[i].id && !strcmp(t->trunks[i].id, id))
			return &t->trunks[i];
	return NULL;
}

const struct cfg_user *cfg_user_find(const struct cfg_tenant *t, const char *username)
{
	for (size_t i = 0; i < t->nusers; i++)
		if (t->users[i].username && !strcmp(t->users[i].username, username))
			return &t->users[i];
	return NULL;
}

static const struct cfg_named_node *named_find(const struct cfg_named_node *v, size_t n,
					       const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

const struct cfg_named_node *cfg_flow_find(const struct cfg_tenant *t, const char *name)
{
	return named_find(t->flows, t->nflows, name);
}

const struct cfg_named_node *cfg_calendar_find(const struct cfg_tenant *t, const char *name)
{
	return named_find(t->calendars, t->ncalendars, name);
}

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void cfg_ha1_sha256(const char *user, const char *realm, const char *pass, char out[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)user, strlen(user));
	crypto_hash_sha256_update(&st, (const unsigned char *)":", 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)realm, strlen(realm));
	crypto_hash_sha256_update(&st, (const unsigned char *)":", 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)pass, strlen(pass));
	crypto_hash_sha256_final(&st, h);
	hex(h, sizeof(h), out);
}

void cfg_ha1_md5(const char *user, const char *realm, const char *pass, char out[33])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!ctx) {
		out[0] = '\0';
		return;
	}
	EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	EVP_DigestUpdate(ctx, user, strlen(user));
	EVP_DigestUpdate(ctx, ":", 1);
	EVP_DigestUpdate(ctx, realm, strlen(realm));
	EVP_DigestUpdate(ctx, ":", 1);
	EVP_DigestUpdate(ctx, pass, strlen(pass));
	EVP_DigestFinal_ex(ctx, h, &n);
	EVP_MD_CTX_free(ctx);
	hex(h, n, out);
}
