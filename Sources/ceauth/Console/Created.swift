import ArgumentParser
import CEAuthCore

/// What login and create say when an instance was created: saved, or created but not saved.
extension Console {
    func reportCreated(_ instance: CreatedInstance, warnings: [String], keyfile: String, baseURL: String, json: Bool,
                       reauthorized: Bool = false) {
        for warning in warnings { say("ceauth: warning: \(warning)") }
        if reauthorized {
            say("Re-authorized \(instance.elementKey) instance '\(instance.name)' (id \(instance.id)); its entry in \(keyfile) is updated")
        } else {
            say("Created \(instance.elementKey) instance '\(instance.name)' (id \(instance.id)); token saved to \(keyfile)")
        }
        if KeyfileEntry.isSandboxURL(baseURL) {
            say("This is a sandbox instance: its token opens nothing real; later commands reach it with --sandbox.")
        }
        if json { self.json(createdJSON(instance, baseURL: baseURL, keyfile: keyfile)) }
    }

    /// Nothing may be lost: the token exists only here now. Always exit 6.
    func reportNotSaved(_ notSaved: InstanceNotSaved, baseURL: String, json: Bool) -> ExitCode {
        fail(notSaved)
        say("Keep these; they are not saved anywhere else:")
        say("  id:    \(notSaved.instance.id)")
        // Asked for by the situation: the one place the token can be kept from now. Not
        // redacted (it is a known secret by now), but made safe for the terminal.
        write("  token: " + TerminalText.sanitize(notSaved.instance.token.value, keepLayout: false) + "\n", to: .error)
        // A script reading stdout gets the instance too; "keyfile": null says it was not saved.
        if json { self.json(createdJSON(notSaved.instance, baseURL: baseURL, keyfile: nil)) }
        return ExitCode(ExitStatus.keyfile)
    }

    /// The instance for scripts. The token is what they asked for; the name comes from Cloud
    /// Elements and may echo a secret, so it is redacted like any other text.
    func createdJSON(_ instance: CreatedInstance, baseURL: String, keyfile: String?) -> LosslessJSON {
        .object([
            .init("name", .string(JSONString(safe.redacted(instance.name)))),
            .init("id", .number(String(instance.id))),
            .init("token", .string(JSONString(instance.token.value))),
            .init("element", .string(JSONString(instance.elementKey))),
            .init("baseUrl", .string(JSONString(baseURL))),
            .init("keyfile", keyfile.map { .string(JSONString($0)) } ?? .literal("null")),
        ])
    }
}
