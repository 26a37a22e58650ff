import ArgumentParser
import CEAuthCore
import CEAuthSandbox
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The keyfile's instances as JSON for scripts; the token only when asked for.
func instanceJSON(_ instance: KeyfileEntry, token: Bool) -> LosslessJSON {
    var members: [LosslessJSON.Member] = [
        .init("name", .string(JSONString(instance.name))), .init("id", .number(String(instance.id))),
        .init("element", .string(JSONString(instance.element))), .init("baseUrl", .string(JSONString(instance.baseURL))),
        .init("host", .string(JSONString(instance.host))), .init("created", .string(JSONString(instance.created))),
    ]
    if token { members.append(.init("token", .string(JSONString(instance.token.value)))) }
    return .object(members)
}

/// The instance a command names (NAME or ID), read from the keyfile.
struct InstanceArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The instance: its name or its id (see 'ceauth list').", valueName: "name-or-id"),
              completion: Completions.instances)
    var instance: String

    @OptionGroup var keyfile: KeyfileOptions

    @OptionGroup var sandboxOptions: SandboxOptions

    /// The instance, whole (a damaged entry is exit 6, naming it), its token known to every
    /// redactor from here on: only the command that prints it on purpose shows it.
    func find(environment: [String: String]) throws -> (KeyfileEntry, keyfile: String) {
        let path = try keyfile.path(environment: environment)
        let instances = try KeyfileStore(path: path).instances()
        let found = try Self.find(instance, in: instances, keyfile: path, sandbox: sandboxOptions.sandbox)
        Redactor.learn([found.token.value])
        return (found, path)
    }

    /// With --sandbox, the name or id is looked up among the sandbox's instances only.
    static func find(_ query: String, in instances: [KeyfileEntry], keyfile path: String, sandbox: Bool) throws -> KeyfileEntry {
        guard sandbox else { return try KeyfileReader.find(query, in: instances, keyfile: path) }
        do {
            return try KeyfileReader.find(query, in: instances.filter(\.isSandbox), keyfile: path)
        } catch {
            if let real = try? KeyfileReader.find(query, in: instances, keyfile: path) {
                throw ConfigurationError.conflictingOptions(SandboxRefusal.realInstance(real))
            }
            throw error
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the instances in the keyfile (name, id, element, host, created), or with --remote those Cloud Elements has.",
        discussion: """
        --remote calls GET /instances at --base-url/--env/CEAUTH_BASE_URL, every page, and marks those the keyfile holds; \
        it needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET.
        Exit codes: 0 listed (also when there are none); 6 the keyfile cannot be read or is another user's; with --remote also 4, 5, 7, 8 as for login.
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var keyfile: KeyfileOptions
    @OptionGroup var cloudElements: CloudElementsOptions
    @OptionGroup var sandboxOptions: SandboxOptions

    @Flag(help: "List the instances Cloud Elements has, marking those in the keyfile.")
    var remote = false

    func validate() throws {
        try sandboxOptions.check(cloudElements)
        try checkRequestTimeout(requestTimeout)
    }

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds to wait for each page (with --remote).", valueName: "seconds"))
    var requestTimeout: Int = Defaults.checkTimeout

    @Flag(help: "Print a JSON array on stdout: {name, id, element, baseUrl, host, created} (no tokens), or with --remote {name, id, element, valid, disabled, inKeyfile}.")
    var json = false

    func run() throws {
        try Console.run(profile: profileOptions, secrets: remote, sandbox: sandboxOptions.sandbox && remote) { context in
            let (console, environment) = (context.console, context.environment)
            let path = try keyfile.path(environment: environment)
            var instances = try KeyfileStore(path: path).instances()
            if remote { return try listRemote(saved: context.reachable(instances), environment: environment, console: console) }
            if sandboxOptions.sandbox { instances = instances.filter(\.isSandbox) }
            if json {
                console.json(.array(instances.map { instanceJSON($0, token: false) }))
            } else if instances.isEmpty {
                console.say("No instances in \(path) yet; create one with ceauth login ELEMENT.")
            } else {
                console.print("NAME\tID\tELEMENT\tHOST\tCREATED")
                for instance in instances {
                    console.print("\(instance.name)\t\(instance.id)\t\(instance.element)\t\(instance.host)\t\(instance.created)")
                }
            }
        }
    }

    private func listRemote(saved: [KeyfileEntry], environment: [String: String], console: Console) throws {
        let base = try Settings.baseURL(flag: cloudElements.baseURL, environmentName: cloudElements.environmentName, environment: environment)
        let client = CloudElementsClient(baseURL: base, credentials: try Settings.platformSecrets(environment: environment),
                                         transport: CurlTransport(), timeoutSeconds: Double(requestTimeout))
        let remote = try client.listInstances()
        let held = Set(saved.filter { $0.baseURL == base.absoluteString }.map(\.id))
        func flag(_ value: Bool?) -> LosslessJSON { value.map { .literal($0 ? "true" : "false") } ?? .literal("null") }
        if json {
            console.json(.array(remote.map { instance in
                .object([.init("name", .string(JSONString(instance.name))), .init("id", .number(String(instance.id))),
                         .init("element", .string(JSONString(instance.element))), .init("valid", flag(instance.valid)),
                         .init("disabled", flag(instance.disabled)), .init("inKeyfile", .literal(held.contains(instance.id) ? "true" : "false"))])
            }))
            return
        }
        console.print("NAME\tID\tELEMENT\tSTATE\tIN KEYFILE")
        for instance in remote {
            let state = instance.disabled == true ? "disabled" : instance.valid == false ? "invalid" : "valid"
            console.print("\(instance.name)\t\(instance.id)\t\(instance.element)\t\(state)\t\(held.contains(instance.id) ? "yes" : "no")")
        }
        console.say("\(remote.count) instances at \(base.host ?? base.absoluteString), \(remote.filter { held.contains($0.id) }.count) of them in the keyfile.")
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one instance from the keyfile; its token only with --reveal.",
        discussion: "Name an instance by name or id (name:X or id:X when X is one's name and another's id). Exit codes: 0 shown; 6 the keyfile cannot be read, is another user's, or the entry is damaged; 9 no such instance, or the name matches several.")

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var target: InstanceArgument
    @Flag(help: "Include the instance token.")
    var reveal = false
    @Flag(help: "Print {name, id, element, baseUrl, host, created[, token]} as JSON on stdout.")
    var json = false

    func run() throws {
        try Console.run(profile: profileOptions, secrets: false) { context in
            let (console, environment) = (context.console, context.environment)
            let (found, path) = try target.find(environment: environment)
            let instance = try found.usable(keyfile: path, sending: false)
            if json {
                if reveal { try console.printRequested(instance.token.value, what: "token", keyfile: path, checkOnly: true) }
                console.json(instanceJSON(instance, token: reveal))
                return
            }
            console.print("name:     \(instance.name)")
            console.print("id:       \(instance.id)")
            console.print("element:  \(instance.element)")
            console.print("base URL: \(instance.baseURL)")
            console.print("created:  \(instance.created)")
            if reveal {
                OS.write("token:    ", to: .output)
                try console.printRequested(instance.token.value, what: "token", keyfile: path)
            } else {
                console.print("token:    (hidden; --reveal shows it, ceauth token prints it alone)")
            }
        }
    }
}

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an instance's token alone on stdout, for TOKEN=$(ceauth token NAME).",
        discussion: "Name an instance by name or id (name:X or id:X when X is one's name and another's id). Exit codes: 0 printed; 6 the keyfile cannot be read, is another user's, or the entry is damaged (an empty token); 9 no such instance, or the name matches several.")

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var target: InstanceArgument
    @Flag(help: "Print {name, id, token} as JSON on stdout.")
    var json = false

    func run() throws {
        try Console.run(profile: profileOptions, secrets: false) { context in
            let (console, environment) = (context.console, context.environment)
            let (found, path) = try target.find(environment: environment)
            let instance = try found.usable(keyfile: path, sending: false)
            guard json else { return try console.printRequested(instance.token.value, what: "token", keyfile: path) }
            try console.printRequested(instance.token.value, what: "token", keyfile: path, checkOnly: true)
            console.json(.object([.init("name", .string(JSONString(instance.name))), .init("id", .number(String(instance.id))),
                                  .init("token", .string(JSONString(instance.token.value)))]))
        }
    }
}

struct Header: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the Authorization header for calls through an instance: User <u>, Organization <o>, Element <token>.",
        discussion: """
        For curl -H "Authorization: $(ceauth header NAME)". Needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET.
        A sandbox instance's header is printed only with --sandbox (or the sandbox's own secrets in the environment).
        Exit codes: 0 printed; 64 a secret is missing, or a sandbox instance without --sandbox; 6 the keyfile cannot be read, is another user's, or the entry is damaged; 9 no such instance, or the name matches several.
        """)

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var target: InstanceArgument
    @Flag(help: "Print {name, id, header} as JSON on stdout.")
    var json = false

    func run() throws {
        // A sandbox instance's header carries the sandbox's published secrets: no emulator needed.
        let sandbox = target.sandboxOptions.sandbox
        try Console.run(profile: profileOptions, secrets: !sandbox) { context in
            let (console, environment) = (context.console, context.environment)
            let credentials = try Settings.platformSecrets(environment: sandbox ? SandboxSecrets.environment : environment)
            let (found, path) = try target.find(environment: environment)
            let instance = try found.usable(keyfile: path, sending: false)
            // A sandbox token with the real secrets would only be sent to the sandbox's old port.
            if !sandbox && instance.isSandbox && !SandboxSecrets.inUse(environment) {
                throw ConfigurationError.conflictingOptions(SandboxRefusal.sandboxInstance(instance))
            }
            let header = credentials.authorizationHeader(element: instance.token)
            guard json else { return try console.printRequested(header, what: "header", keyfile: path) }
            // The header is what was asked for: written as it is, not through the redactor.
            try console.printRequested(header, what: "header", keyfile: path, checkOnly: true)
            console.json(.object([.init("name", .string(JSONString(instance.name))), .init("id", .number(String(instance.id))),
                                  .init("header", .string(JSONString(header)))]))
        }
    }
}
