/// The JSON documents commands print for scripts, each shape written once. Strings go through
/// the JSON writer, which escapes what a terminal must not see.
public enum CommandJSON {
    static func string(_ text: String) -> LosslessJSON { .string(JSONString(text)) }
    static func flag(_ value: Bool?) -> LosslessJSON { value.map { .literal($0 ? "true" : "false") } ?? .literal("null") }

    /// An entry of the keyfile (list, show): the token only when asked for.
    public static func entry(_ entry: KeyfileEntry, token: Bool, host: String? = nil) -> LosslessJSON {
        var members: [LosslessJSON.Member] = [
            .init("name", string(entry.name)), .init("id", .number(String(entry.id))),
            .init("element", string(entry.element)), .init("baseUrl", string(entry.baseURL)),
            .init("host", string(host ?? entry.host)), .init("created", string(entry.created)),
            .init("tokenStore", string(entry.tokenStore ?? TokenStore.keyfile.rawValue)),
        ]
        if token { members.append(.init("token", string(entry.token.value))) }
        return .object(members)
    }

    /// `{name, id, KEY: value}`: token's and header's answer.
    public static func named(_ entry: KeyfileEntry, _ key: String, _ value: String) -> LosslessJSON {
        .object([.init("name", string(entry.name)), .init("id", .number(String(entry.id))), .init(key, string(value))])
    }

    /// One instance of `list --remote`.
    public static func remote(_ instance: RemoteInstance, inKeyfile: Bool) -> LosslessJSON {
        .object([.init("name", string(instance.name)), .init("id", .number(String(instance.id))),
                 .init("element", string(instance.element)), .init("valid", flag(instance.valid)),
                 .init("disabled", flag(instance.disabled)), .init("eventsEnabled", flag(instance.eventsEnabled)),
                 .init("inKeyfile", flag(inKeyfile))])
    }

    /// One result of `verify`.
    public static func verification(_ result: Verification) -> LosslessJSON {
        .object([
            .init("name", string(result.instance.name)), .init("id", .number(String(result.instance.id))),
            .init("element", string(result.instance.element)), .init("host", string(result.instance.host)),
            .init("works", flag(result.verdict == .works)), .init("state", string(result.state.rawValue)),
            .init("ping", flag(result.pingAnswered)), .init("advice", string(result.advice)),
        ])
    }

    /// An instance `verify --all` could not check; `error` already passed the filter.
    public static func unchecked(_ entry: KeyfileEntry, error: String) -> LosslessJSON {
        .object([.init("name", string(entry.name)), .init("id", .number(String(entry.id))),
                 .init("works", .literal("false")), .init("error", string(error))])
    }

    /// What `delete` did.
    public static func deletion(_ entry: KeyfileEntry, deletedAtCloudElements: Bool?, removedFromKeyfile: Bool) -> LosslessJSON {
        .object([
            .init("name", string(entry.name)), .init("id", .number(String(entry.id))), .init("host", string(entry.host)),
            .init("deletedAtCloudElements", flag(deletedAtCloudElements)), .init("removedFromKeyfile", flag(removedFromKeyfile)),
        ])
    }

    /// The entry `delete --local-only --dry-run --json` would remove.
    public static func wouldRemove(_ entry: KeyfileEntry, keyfile: String) -> LosslessJSON.Member {
        .init("wouldRemove", .object([.init("name", string(entry.name)), .init("id", .number(String(entry.id))),
                                      .init("keyfile", string(keyfile))]))
    }

    /// `url --json`.
    public static func link(url: String, state: String, redirectURI: String) -> LosslessJSON {
        .object([.init("url", string(url)), .init("state", string(state)), .init("redirectUri", string(redirectURI))])
    }
}
