import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What every command that looks after a live instance takes beside the instance.
struct LiveOptions: ParsableArguments {
    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds to wait for each answer.", valueName: "seconds"))
    var requestTimeout: Int = Defaults.checkTimeout

    @Flag(help: "Print the result as one JSON document on stdout.")
    var json = false

    @Flag(name: .customLong("dry-run"), help: "Print the change that would be sent (secrets as $VARIABLE references) and a curl command; send nothing.")
    var dryRun = false

    func validate() throws { try checkRequestTimeout(requestTimeout) }
}

/// An instance of the keyfile and a client at its own host (with --sandbox, this run's emulator).
struct LiveTarget {
    var instance: KeyfileEntry
    var client: CloudElementsClient
    var keyfile: String

    init(_ argument: InstanceArgument, _ context: CommandContext, _ options: LiveOptions) throws {
        (instance, keyfile) = try argument.findUsable(environment: context.environment, sending: true)
        let credentials = try Settings.platformSecrets(environment: context.environment)
        client = CloudElementsClient(baseURL: try context.reach(instance).validatedBaseURL(), credentials: credentials,
                                     transport: CurlTransport(), timeoutSeconds: Double(options.requestTimeout))
    }

    /// The platform secrets and the instance's token as references: the curl command works.
    var references: [(value: String, variable: String)] {
        client.credentials.references + [(instance.token.value, "(ceauth token id:\(instance.id))")]
    }

    /// `--dry-run`: the request as text or in the JSON document; nothing is sent.
    func show(_ request: HTTPRequest, on console: Console, json: Bool) {
        let shown = DryRun.show(request, references: references)
        if json { console.json(DryRun.document([shown])) } else { console.print(shown.text) }
    }

    /// `GET /instances/{id}`: the instance as Cloud Elements has it; 11 when it is gone.
    func fetch() throws -> JSONValue {
        guard let answer = try client.instance(id: instance.id) else { throw LiveError.gone(instance.summary) }
        return answer
    }
}

/// A live instance that is not there.
enum LiveError: Error, CustomStringConvertible {
    case gone(String)

    var description: String {
        switch self {
        case .gone(let summary): return "Cloud Elements no longer has \(summary) (deleted in the console?); remove it with ceauth delete --local-only"
        }
    }
}
