/*
 * The webhook parts of the configuration: the event types a webhook may ask for, the
 * checks of a webhook's id, URL and secret (shared with the API, which makes webhooks
 * too), and `http.webhooks`, how the server delivers them:
 *
 *   http:
 *     webhooks: {allow_private: false, per_target: 1, per_tenant: 16}
 *
 * A webhook's target is chosen by a tenant's admin, and the server makes the request
 * from inside the operator's network: left open, a webhook could reach the server's own
 * loopback services, a cloud's metadata address (169.254.169.254) or anything on the
 * private network (server-side request forgery). So a target on a loopback, link-local,
 * private, shared, multicast or reserved address is refused, when its URL names one
 * (here, for the file; in the API, with a 400) and, whatever the name, when the address
 * it resolves to at delivery is one (api/webhook.c checks each address before it
 * connects). `allow_private: true` lifts this for a deployment whose receivers are on
 * its own network (and the tests' loopback receivers).
 */
#include "core/config_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const http_webhook_keys[] = {"allow_private", "per_target", "per_tenant", NULL};

const char *const cfg_webhook_events[] = {
    "agent.state",	"contact.queued",    "contact.offered",
    "contact.updated",	"contact.answered",  "contact.transferred",
    "contact.ended",	"queue.stats",	     "call.held",
    "call.resumed",	"call.muted",	     "call.unmuted",
    "recording.paused", "recording.resumed", NULL};

bool cfg_webhook_event_known(const char *type)
{
	if (!type)
		return false;
	if (!strcmp(type, "*"))
		return true;
	for (size_t i = 0; cfg_webhook_events[i]; i++)
		if (!strcmp(cfg_webhook_events[i], type))
			return true;
	return false;
}

const char *cfg_webhook_id_error(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (!n || n > 63)
		return "an id is 1 to 63 bytes";
	for (const char *s = id; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return "use letters, digits, - and _";
	return NULL;
}

const char *cfg_webhook_url_error(const char *url)
{
	const char *host;

	if (!url || strlen(url) > 2000)
		return "a URL is at most 2000 bytes";
	if (!strncmp(url, "http://", 7))
		host = url + 7;
	else if (!strncmp(url, "https://", 8))
		host = url + 8;
	else
		return "expected an http:// or https:// URL";
	if (!*host || *host == '/' || *host == ':')
		return "the URL has no host";
	for (const char *s = url; *s; s++)
		if ((unsigned char)*s <= ' ')
			return "the URL has a space or control character";
	return NULL;
}

const char *cfg_webhook_secret_error(const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;

	if (n < 16 || n > 256)
		return "a secret is 16 to 256 bytes";
	return NULL;
}

/* IPv4 in host order: loopback, "this network", private (RFC 1918), shared (RFC 6598),
 * link-local, IETF protocol assignments, benchmarking, multicast and reserved. */
static bool v4_private(uint32_t a)
{
	static const struct {
		uint32_t net, mask;
	} nets[] = {
	    {0x00000000, 0xff000000}, /* 0.0.0.0/8 */
	    {0x0a000000, 0xff000000}, /* 10.0.0.0/8 */
	    {0x64400000, 0xffc00000}, /* 100.64.0.0/10 */
	    {0x7f000000, 0xff000000}, /* 127.0.0.0/8 */
	    {0xa9fe0000, 0xffff0000}, /* 169.254.0.0/16 */
	    {0xac100000, 0xfff00000}, /* 172.16.0.0/12 */
	    {0xc0000000, 0xffffff00}, /* 192.0.0.0/24 */
	    {0xc0a80000, 0xffff0000}, /* 192.168.0.0/16 */
	    {0xc6120000, 0xfffe0000}, /* 198.18.0.0/15 */
	    {0xe0000000, 0xe0000000}, /* 224.0.0.0/3: multicast, reserved, broadcast */
	};

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if ((a & nets[i].mask) == nets[i].net)
			return true;
	return false;
}

bool cfg_addr_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return v4_private(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
		static const uint8_t zero[12] = {0};
		uint32_t v4 =
		    (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
		/* An IPv4 address inside IPv6 (mapped or translated) is judged as that
		 * address; the old compatible form (::a.b.c.d, also :: and ::1) is refused
		 * whatever it holds. */
		if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12) || !memcmp(b, zero, 12))
			return v4_private(v4) || !memcmp(b, zero, 12);
		return (b[0] & 0xfe) == 0xfc ||			  /* fc00::/7 unique local */
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 link-local */
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) || /* fec0::/10 site-local */
		       b[0] == 0xff;				  /* multicast */
	}
	return true; /* anything else is not a network address a webhook goes to */
}

const char *cfg_webhook_target_error(const char *url)
{
	static const char why[] = "the URL names a loopback, link-local or private address (set "
				  "http.webhooks.allow_private to deliver there)";
	const char *h = strstr(url ? url : "", "://"), *end, *at;
	char host[256];
	size_t n;
	struct in_addr a4;
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};

	if (!h)
		return NULL;
	h += 3;
	end = h + strcspn(h, "/?#");
	/* user:password@ is not the host. */
	for (at = h; (at = memchr(at, '@', (size_t)(end - at))); h = ++at)
		;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (!close)
			return NULL; /* curl refuses it */
		h++;
		n = (size_t)(close - h);
	} else {
		n = strcspn(h, ":/?#");
		if (h + n > end)
			n = (size_t)(end - h);
	}
	if (!n || n >= sizeof(host))
		return NULL;
	memcpy(host, h, n);
	host[n] = '\0';
	host[strcspn(host, "%")] = '\0'; /* an IPv6 zone (fe80::1%25eth0) */
	n = strlen(host);
	if (!n)
		return NULL;
	if (host[n - 1] == '.' && n > 1)
		host[--n] = '\0';
	if (!strcasecmp(host, "localhost") || (n > 10 && !strcasecmp(host + n - 10, ".localhost")))
		return why;
	/* inet_aton also reads the other ways of writing an IPv4 address (127.1,
	 * 2130706433, 0x7f.0.0.1) that resolvers accept. */
	if (inet_aton(host, &a4)) {
		s4.sin_addr = a4;
		return cfg_addr_private((const struct sockaddr *)&s4) ? why : NULL;
	}
	if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1)
		return cfg_addr_private((const struct sockaddr *)&s6) ? why : NULL;
	return NULL; /* a name: judged by the address it resolves to, at delivery */
}

void cfg__parse_http_webhooks(struct cy *c, struct fy_node *http, struct cfg *cfg)
{
	struct fy_node *n = cy_get(http, "webhooks");
	const char *p = "http.webhooks";
	long v;

	if (!n || !cy_is_map(c, n, p))
		return;
	cy_check_keys(c, n, p, http_webhook_keys);
	cy_get_bool(c, n, p, "allow_private", false, &cfg->http_webhooks.allow_private);
	if (!cy_get_int(c, n, p, "per_target", false, 1, 64, &v))
		cfg->http_webhooks.per_target = v;
	if (!cy_get_int(c, n, p, "per_tenant", false, 1, 256, &v))
		cfg->http_webhooks.per_tenant = v;
}

bool cfg__webhooks_allow_private(struct cy *c)
{
	struct fy_node *n = cy_get(cy_get(cy_root(c), "http"), "webhooks");
	struct fy_node *v = cy_get(n, "allow_private");
	const char *t = v ? cy_text(v) : NULL;

	return t && (!strcmp(t, "true") || !strcmp(t, "yes") || !strcmp(t, "on"));
}
