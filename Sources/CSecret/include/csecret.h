#ifndef CEAUTH_CSECRET_H
#define CEAUTH_CSECRET_H

/* The freedesktop Secret Service through libsecret (libsecret-1.so.0), loaded on first use with
   dlopen: every other command starts as fast as before, and a machine without libsecret is told
   so only when the Secret Service is asked for. Each call waits at most `timeout_ms`: a service
   that never answers is cancelled, not waited on.

   Items are found by string attributes (`names[i]` = `values[i]`) under the schema `schema`.
   Every call returns a CEAUTH_SECRET_* code; on anything but OK, `*message` is a description
   to free with ceauth_secret_free_message (never holding the secret). */
enum {
    CEAUTH_SECRET_OK = 0,
    CEAUTH_SECRET_NOT_LOADED = 1,   /* libsecret is not installed */
    CEAUTH_SECRET_NO_SERVICE = 2,   /* D-Bus or the service refused: no service on the bus, ... */
    CEAUTH_SECRET_TIMEOUT = 3,      /* the service did not answer within timeout_ms */
    CEAUTH_SECRET_LOCKED = 4,       /* the default collection is locked */
    CEAUTH_SECRET_NO_COLLECTION = 5,/* the service has no default collection */
    CEAUTH_SECRET_NOT_FOUND = 6,    /* lookup: no such item */
    CEAUTH_SECRET_FAILED = 7,       /* the service answered with an error */
};

/* The default collection exists and is unlocked. */
int ceauth_secret_check(int timeout_ms, char **message);
int ceauth_secret_store(const char *schema, const char *const *names, const char *const *values, int count,
                        const char *label, const char *secret, int timeout_ms, char **message);
/* On OK, `*secret` is the value, to free with ceauth_secret_free_value (which wipes it). */
int ceauth_secret_lookup(const char *schema, const char *const *names, const char *const *values, int count,
                         char **secret, int timeout_ms, char **message);
/* OK also when there was nothing to remove. */
int ceauth_secret_clear(const char *schema, const char *const *names, const char *const *values, int count,
                        int timeout_ms, char **message);
void ceauth_secret_free_value(char *secret);
void ceauth_secret_free_message(char *message);
#endif
