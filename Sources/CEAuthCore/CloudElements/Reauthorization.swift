/// The body of `PUT /instances/{id}?reAuthenticate=true`. A PUT replaces what it is given, so a
/// freshly rendered template would switch off the instance's events and drop its tags. Cloud
/// Elements' own recipe: GET the instance, take the OAuth tokens out of its configuration, add
/// the new grant, PUT that. Pure.
public enum Reauthorization {
    /// Configuration keys that belong to the old grant: dropped, and the new grant's put in.
    static func isOldGrant(_ key: String) -> Bool { key.hasPrefix("oauth.user.") }

    static func isEvent(_ key: String) -> Bool { key.hasPrefix("event.") }

    /// `current` (what GET answered) with the grant of `fresh` (the rendered template): the
    /// client, callback URL and code or tokens. Events and tags come from `fresh` only when
    /// the command line changes them; everything else (name, pollers, interval, callback URL,
    /// other configuration keys) stays as Cloud Elements has it. The instance token, a secret
    /// the body has no use for, is left out.
    public static func body(current: JSONValue, fresh: JSONValue, changeEvents: Bool, changeTags: Bool) -> JSONValue {
        guard var merged = current.objectValue, let new = fresh.objectValue else { return fresh }
        merged.removeValue(forKey: "token")
        var configuration = (merged["configuration"]?.objectValue ?? [:]).filter { !isOldGrant($0.key) }
        if changeEvents { configuration = configuration.filter { !isEvent($0.key) } }
        for (key, value) in new["configuration"]?.objectValue ?? [:] where changeEvents || !isEvent(key) {
            configuration[key] = value
        }
        merged["configuration"] = .object(configuration)
        // The grant: a new code (or, with --exchange local, the tokens and externalAuthentication).
        merged.removeValue(forKey: "providerData")
        for key in ["providerData", "externalAuthentication"] { if let value = new[key] { merged[key] = value } }
        if changeTags || merged["tags"] == nil { merged["tags"] = new["tags"] }
        if merged["element"] == nil { merged["element"] = new["element"] }
        if merged["name"] == nil { merged["name"] = new["name"] }
        return .object(merged)
    }

    /// The old grant's tokens in what GET answered: secrets to keep out of every output.
    public static func oldGrantSecrets(_ current: JSONValue) -> [String] {
        (current["configuration"]?.objectValue ?? [:]).filter { isOldGrant($0.key) }.compactMap { $0.value.stringValue }
    }
}
