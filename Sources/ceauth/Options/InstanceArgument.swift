import ArgumentParser
import CEAuthCore
import CEAuthSandbox
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The instance a command names (NAME or ID), read from the keyfile.
struct InstanceArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The instance: its name or its id (see 'ceauth list').", valueName: "name-or-id"),
              completion: Completions.instances)
    var instance: String

    @OptionGroup var keyfile: KeyfileOptions

    @OptionGroup var sandboxOptions: SandboxOptions

    /// The instance, whole (a damaged entry is exit 6, naming it), its token known to every
    /// redactor from here on: only the command that prints it on purpose shows it.
    /// `token: false` for a command that does not use the token (show without --reveal): the
    /// keyring is not asked.
    func find(environment: [String: String], token: Bool = true) throws -> (KeyfileEntry, keyfile: String) {
        let path = try keyfile.path(environment: environment)
        // Outside the sandbox only the entries that match are kept, and made whole (a keyfile
        // of thousands); the sandbox's lookup also needs the others, to say one is real.
        let sandbox = sandboxOptions.sandbox
        let entries = try KeyfileStore(path: path).entries(matching: sandbox ? nil : instance)
        let found = sandbox ? try Self.find(instance, in: Array(entries), keyfile: path, sandbox: true)
                            : try KeyfileReader.find(instance, in: entries, keyfile: path)
        guard token else { return (found, path) }
        let resolved = try TokenStore.resolve(found, keyring: { try SecretService(environment: environment) })
        Redactor.learn([resolved.token.value])
        return (resolved, path)
    }

    /// The instance whole for what the command does with it (a damaged entry is exit 6).
    func findUsable(environment: [String: String], sending: Bool, token: Bool = true) throws -> (KeyfileEntry, keyfile: String) {
        let (found, path) = try find(environment: environment, token: token)
        return (try found.usable(keyfile: path, sending: sending, token: token), path)
    }

    /// With --sandbox, the name or id is looked up among the sandbox's instances only.
    static func find(_ query: String, in instances: [KeyfileEntry], keyfile path: String, sandbox: Bool) throws -> KeyfileEntry {
        guard sandbox else { return try KeyfileReader.find(query, in: instances, keyfile: path) }
        do {
            return try KeyfileReader.find(query, in: instances.filter(\.isSandbox), keyfile: path)
        } catch {
            if let real = try? KeyfileReader.find(query, in: instances, keyfile: path) {
                throw InstanceUseError.realInstance(real.summary)
            }
            throw error
        }
    }
}
