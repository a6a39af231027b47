/*
 * Users made through the API. They live in the users table with the file's, marked
 * source 'api' (migration 9): provisioning never prunes them and takes one over when the
 * file comes to list it; the engine loads them at start from their body (the request's
 * fields without any secret) and their HA1 columns. Passwords are hashed here with
 * Argon2id, off the engine's thread; a user written without a password (or without a
 * SIP password) keeps the stored one.
 */
#include "store/store_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"

int store_db_user_put_api(struct store_db *db, const char *tenant, const struct cfg_user *u,
			  const char *body, unsigned long long opslimit)
{
	struct crm_buf skills = {0}, queues = {0};
	struct store__param p[14];
	char roles[64], hash[crypto_pwhash_STRBYTES];
	bool hashed = false;
	int err;

	STORE__TENANT(tenant);
	if (!u || !u->username || !body)
		return EINVAL;
	if (u->password) {
		if (crypto_pwhash_str(hash, u->password, strlen(u->password),
				      opslimit ? opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE,
				      crypto_pwhash_MEMLIMIT_INTERACTIVE))
			return ENOMEM;
		hashed = true;
	}
	store__roles_text(u->roles, roles, sizeof(roles));
	store__json_skills(u->skills, u->nskills, &skills);
	store__json_penalties(u->queues, u->nqueues, &queues);
	if (skills.err || queues.err) {
		err = ENOMEM;
		goto out;
	}
	p[0] = store__text(tenant);
	p[1] = store__text(u->username);
	p[2] = store__text(u->name);
	p[3] = store__text(hashed ? hash : NULL);
	p[4] = store__text(roles);
	p[5] = store__text(u->sip_user);
	p[6] = store__text(u->ha1_md5[0] ? u->ha1_md5 : NULL);
	p[7] = store__text(u->ha1_sha256[0] ? u->ha1_sha256 : NULL);
	p[8] = store__text(skills.p);
	p[9] = store__text(queues.p);
	p[10] = store__int(u->auto_ready);
	p[11] = store__text(u->language);
	p[12] = store__int(clock_wall_ms());
	p[13] = store__text(body);
	err = store__exec(db, Q_USER_API_UPSERT, p, 14);
out:
	sodium_memzero(hash, sizeof(hash));
	crm_buf_free(&skills);
	crm_buf_free(&queues);
	return err;
}

int store_db_user_delete_api(struct store_db *db, const char *tenant, const char *username)
{
	struct store__param p[2];

	STORE__TENANT(tenant);
	if (!username)
		return EINVAL;
	p[0] = store__text(tenant);
	p[1] = store__text(username);
	return store__exec(db, Q_USER_API_DELETE, p, 2);
}

int store_db_users_api(struct store_db *db, const char *tenant, store_user_api_h *h, void *arg)
{
	struct store__param p[1];
	enum store__q q = Q_USER_API_LIST;
	int err, stop;

	STORE__TENANT(tenant);
	p[0] = store__text(tenant);
	if ((err = store__query(db, q, p, 1)))
		return err;
	while (store__row(db, q, &err)) {
		const char *k = store__col_text(db, q, 0), *b = store__col_text(db, q, 1);
		if (k && b &&
		    (stop = h(k, b, store__col_text(db, q, 2), store__col_text(db, q, 3), arg))) {
			store__done(db, q);
			return stop;
		}
	}
	return err;
}

int store_db_user_roles(struct store_db *db, const char *tenant, const char *username,
			unsigned *roles)
{
	struct store__param p[2];
	bool found = false;
	int err;

	STORE__TENANT(tenant);
	*roles = 0;
	p[0] = store__text(tenant);
	p[1] = store__text(username);
	if ((err = store__query(db, Q_USER_ROLES, p, 2)))
		return err;
	while (store__row(db, Q_USER_ROLES, &err)) {
		const char *r = store__col_text(db, Q_USER_ROLES, 0);
		found = true;
		*roles = 0;
		for (const char *s = r; s && *s;) {
			size_t n = strcspn(s, ",");
			if (n == 5 && !strncmp(s, "agent", 5))
				*roles |= CFG_ROLE_AGENT;
			else if (n == 10 && !strncmp(s, "supervisor", 10))
				*roles |= CFG_ROLE_SUPERVISOR;
			else if (n == 5 && !strncmp(s, "admin", 5))
				*roles |= CFG_ROLE_ADMIN;
			else if (n == 2 && !strncmp(s, "qa", 2))
				*roles |= CFG_ROLE_QA;
			s += n + (s[n] == ',');
		}
	}
	if (err)
		return err;
	return found ? 0 : ENOENT;
}

int store_hash_password_cli(int argc, char **argv)
{
	char line[1024], hash[crypto_pwhash_STRBYTES];
	size_t n;

	if (argc != 1) {
		fprintf(stderr, "usage: centrala hash-password < PASSWORD_FILE\n");
		return 2;
	}
	(void)argv;
	if (!fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "centrala: hash-password reads the password from its input\n");
		return 1;
	}
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (!n || sodium_init() < 0 ||
	    crypto_pwhash_str(hash, line, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
		sodium_memzero(line, sizeof(line));
		fprintf(stderr, "centrala: %s\n", n ? "out of memory" : "empty password");
		return 1;
	}
	sodium_memzero(line, sizeof(line));
	printf("%s\n", hash);
	return 0;
}
