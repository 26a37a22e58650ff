#include "csecret.h"
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libsecret's and GLib's types, as far as ceauth uses them (their ABI has been stable since
   libsecret 0.18, 2014): objects are opaque, the schema is libsecret's public struct. */
typedef struct { unsigned int domain; int code; char *message; } GError;
typedef struct { const char *name; int type; } SchemaAttribute;
typedef struct {
    const char *name;
    int flags;
    SchemaAttribute attributes[32];
    int reserved;
    void *reserved1, *reserved2, *reserved3, *reserved4, *reserved5, *reserved6, *reserved7;
} Schema;

enum { SERVICE_OPEN_SESSION = 1 << 1, SERVICE_LOAD_COLLECTIONS = 1 << 2, SCHEMA_DONT_MATCH_NAME = 1 << 1 };

static struct {
    void *(*service_get_sync)(int, void *, GError **);
    void *(*collection_for_alias_sync)(void *, const char *, int, void *, GError **);
    int (*collection_get_locked)(void *);
    int (*storev_sync)(const Schema *, void *, const char *, const char *, const char *, void *, GError **);
    char *(*lookupv_sync)(const Schema *, void *, void *, GError **);
    int (*clearv_sync)(const Schema *, void *, void *, GError **);
    void (*password_free)(char *);
    void *(*hash_table_new)(unsigned int (*)(const void *), int (*)(const void *, const void *));
    int (*hash_table_insert)(void *, void *, void *);
    void (*hash_table_unref)(void *);
    unsigned int (*str_hash)(const void *);
    int (*str_equal)(const void *, const void *);
    void (*error_free)(GError *);
    void *(*cancellable_new)(void);
    void (*cancellable_cancel)(void *);
    int (*cancellable_is_cancelled)(void *);
    void (*object_unref)(void *);
} api;

static const char *load_error = "libsecret was not loaded";
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *library = dlopen("libsecret-1.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        load_error = "libsecret is not installed (libsecret-1.so.0); install it, e.g. apt-get install libsecret-1-0";
        return;
    }
#define BIND(field, name)                                                             \
    if (!(*(void **)&api.field = dlsym(library, name))) {                             \
        load_error = "the libsecret found is older than 0.18 (it lacks " name ")";     \
        return;                                                                       \
    }
    BIND(service_get_sync, "secret_service_get_sync")
    BIND(collection_for_alias_sync, "secret_collection_for_alias_sync")
    BIND(collection_get_locked, "secret_collection_get_locked")
    BIND(storev_sync, "secret_password_storev_sync")
    BIND(lookupv_sync, "secret_password_lookupv_sync")
    BIND(clearv_sync, "secret_password_clearv_sync")
    BIND(password_free, "secret_password_free")
    /* GLib and GObject come with libsecret: found through its handle. */
    BIND(hash_table_new, "g_hash_table_new")
    BIND(hash_table_insert, "g_hash_table_insert")
    BIND(hash_table_unref, "g_hash_table_unref")
    BIND(str_hash, "g_str_hash")
    BIND(str_equal, "g_str_equal")
    BIND(error_free, "g_error_free")
    BIND(cancellable_new, "g_cancellable_new")
    BIND(cancellable_cancel, "g_cancellable_cancel")
    BIND(cancellable_is_cancelled, "g_cancellable_is_cancelled")
    BIND(object_unref, "g_object_unref")
#undef BIND
    load_error = NULL;
}

static char *copy(const char *text) {
    size_t length = strlen(text);
    char *out = malloc(length + 1);
    if (out) memcpy(out, text, length + 1);
    return out;
}

/* A watchdog: cancels the call's GCancellable when it has not returned within its time. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t finished;
    int done;
    int fired;
    int timeout_ms;
    void *cancellable;
    pthread_t thread;
} Watch;

static void *watch_run(void *argument) {
    Watch *watch = argument;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += watch->timeout_ms / 1000;
    deadline.tv_nsec += (long)(watch->timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec += 1; deadline.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&watch->lock);
    while (!watch->done) {
        if (pthread_cond_timedwait(&watch->finished, &watch->lock, &deadline) == ETIMEDOUT) {
            if (!watch->done) { watch->fired = 1; api.cancellable_cancel(watch->cancellable); }
            break;
        }
    }
    pthread_mutex_unlock(&watch->lock);
    return NULL;
}

static int watch_start(Watch *watch, int timeout_ms) {
    memset(watch, 0, sizeof *watch);
    pthread_mutex_init(&watch->lock, NULL);
    pthread_cond_init(&watch->finished, NULL);
    watch->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    watch->cancellable = api.cancellable_new();
    return pthread_create(&watch->thread, NULL, watch_run, watch) == 0;
}

/* Ends the watch; true when it fired (the call was cancelled for taking too long). */
static int watch_stop(Watch *watch) {
    pthread_mutex_lock(&watch->lock);
    watch->done = 1;
    pthread_cond_signal(&watch->finished);
    pthread_mutex_unlock(&watch->lock);
    pthread_join(watch->thread, NULL);
    api.object_unref(watch->cancellable);
    pthread_cond_destroy(&watch->finished);
    pthread_mutex_destroy(&watch->lock);
    return watch->fired;
}

static int fail(int code, const char *text, char **message) {
    if (message) *message = copy(text);
    return code;
}

/* The code and message for a GError (freed here), or for a cancellation by the watch. */
static int failed(GError *error, int fired, int timeout_ms, char **message) {
    char text[600];
    int code = CEAUTH_SECRET_FAILED;
    if (fired) {
        snprintf(text, sizeof text, "the Secret Service did not answer within %d ms", timeout_ms);
        code = CEAUTH_SECRET_TIMEOUT;
    } else if (error && error->message) {
        snprintf(text, sizeof text, "%s", error->message);
        /* GDBus errors (domain g-dbus-error-quark) and "not provided by any .service files":
           nothing serves org.freedesktop.secrets on this bus. */
        if (strstr(error->message, "org.freedesktop.secrets") || strstr(error->message, "ServiceUnknown") ||
            strstr(error->message, "DBUS_SESSION_BUS_ADDRESS") || strstr(error->message, "D-Bus") || strstr(error->message, "dbus"))
            code = CEAUTH_SECRET_NO_SERVICE;
    } else {
        snprintf(text, sizeof text, "the Secret Service failed without saying why");
    }
    if (error) api.error_free(error);
    return fail(code, text, message);
}

static int ready(char **message) {
    pthread_once(&once, load);
    if (load_error) return fail(CEAUTH_SECRET_NOT_LOADED, load_error, message);
    return CEAUTH_SECRET_OK;
}

int ceauth_secret_check(int timeout_ms, char **message) {
    int status = ready(message);
    if (status != CEAUTH_SECRET_OK) return status;
    Watch watch;
    if (!watch_start(&watch, timeout_ms)) return fail(CEAUTH_SECRET_FAILED, "cannot start a thread", message);
    GError *error = NULL;
    void *service = api.service_get_sync(SERVICE_OPEN_SESSION | SERVICE_LOAD_COLLECTIONS, watch.cancellable, &error);
    void *collection = NULL;
    if (service) collection = api.collection_for_alias_sync(service, "default", 0, watch.cancellable, &error);
    int fired = watch_stop(&watch);
    if (!service || (!collection && error)) {
        if (service) api.object_unref(service);
        return failed(error, fired, timeout_ms, message);
    }
    if (!collection) {
        api.object_unref(service);
        return fail(CEAUTH_SECRET_NO_COLLECTION, "the Secret Service has no default collection", message);
    }
    int locked = api.collection_get_locked(collection);
    api.object_unref(collection);
    api.object_unref(service);
    if (locked) return fail(CEAUTH_SECRET_LOCKED, "the default collection of the Secret Service is locked", message);
    return CEAUTH_SECRET_OK;
}

static void *attributes(const char *const *names, const char *const *values, int count) {
    void *table = api.hash_table_new(api.str_hash, api.str_equal);
    for (int i = 0; i < count; i++) api.hash_table_insert(table, (void *)names[i], (void *)values[i]);
    return table;
}

static void schema_for(Schema *schema, const char *name, const char *const *names, int count) {
    memset(schema, 0, sizeof *schema);
    schema->name = name;
    schema->flags = 0;
    for (int i = 0; i < count && i < 31; i++) schema->attributes[i].name = names[i];
}

/* What store, lookup and clear share: libsecret ready, the schema, the attribute table and a
   running watch. Non-zero (with *message set) when the call cannot start. */
typedef struct {
    Schema schema;
    void *table;
    Watch watch;
} Call;

static int call_start(Call *call, const char *schema_name, const char *const *names, const char *const *values, int count,
                      int timeout_ms, char **message) {
    int status = ready(message);
    if (status != CEAUTH_SECRET_OK) return status;
    schema_for(&call->schema, schema_name, names, count);
    call->table = attributes(names, values, count);
    if (!watch_start(&call->watch, timeout_ms)) {
        api.hash_table_unref(call->table);
        return fail(CEAUTH_SECRET_FAILED, "cannot start a thread", message);
    }
    return CEAUTH_SECRET_OK;
}

/* Ends the call; true when the watch cancelled it. */
static int call_stop(Call *call) {
    int fired = watch_stop(&call->watch);
    api.hash_table_unref(call->table);
    return fired;
}

int ceauth_secret_store(const char *schema_name, const char *const *names, const char *const *values, int count,
                        const char *label, const char *secret, int timeout_ms, char **message) {
    Call call;
    int status = call_start(&call, schema_name, names, values, count, timeout_ms, message);
    if (status != CEAUTH_SECRET_OK) return status;
    GError *error = NULL;
    int stored = api.storev_sync(&call.schema, call.table, "default", label, secret, call.watch.cancellable, &error);
    int fired = call_stop(&call);
    if (!stored) return failed(error, fired, timeout_ms, message);
    return CEAUTH_SECRET_OK;
}

int ceauth_secret_lookup(const char *schema_name, const char *const *names, const char *const *values, int count,
                         char **secret, int timeout_ms, char **message) {
    *secret = NULL;
    Call call;
    int status = call_start(&call, schema_name, names, values, count, timeout_ms, message);
    if (status != CEAUTH_SECRET_OK) return status;
    GError *error = NULL;
    char *found = api.lookupv_sync(&call.schema, call.table, call.watch.cancellable, &error);
    int fired = call_stop(&call);
    if (error || fired) {
        if (found) api.password_free(found);
        return failed(error, fired, timeout_ms, message);
    }
    if (!found) return fail(CEAUTH_SECRET_NOT_FOUND, "no such item in the Secret Service", message);
    *secret = found;
    return CEAUTH_SECRET_OK;
}

int ceauth_secret_clear(const char *schema_name, const char *const *names, const char *const *values, int count,
                        int timeout_ms, char **message) {
    Call call;
    int status = call_start(&call, schema_name, names, values, count, timeout_ms, message);
    if (status != CEAUTH_SECRET_OK) return status;
    GError *error = NULL;
    api.clearv_sync(&call.schema, call.table, call.watch.cancellable, &error);
    int fired = call_stop(&call);
    if (error || fired) return failed(error, fired, timeout_ms, message);
    return CEAUTH_SECRET_OK;
}

void ceauth_secret_free_value(char *secret) {
    if (secret) api.password_free(secret);
}

void ceauth_secret_free_message(char *message) { free(message); }
