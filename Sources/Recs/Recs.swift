// recs: train, evaluate and query recommenders from the command line.
import ArgumentParser

@main
struct Recs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recs",
        abstract: "Recommenders for films, music and games.",
        subcommands: [Demo.self, Fit.self, Recommend.self, Evaluate.self])
}
