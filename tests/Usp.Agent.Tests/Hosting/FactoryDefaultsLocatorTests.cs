using Usp.Agent.Hosting;

namespace Usp.Agent.Tests.Hosting;

public sealed class FactoryDefaultsLocatorTests
{
    [Fact]
    public void A_relative_path_is_found_in_the_current_directory_first()
    {
        using var current = new TempDirectory();
        using var executable = new TempDirectory();
        Write(current, "deploy/factory-defaults.txt");
        Write(executable, "deploy/factory-defaults.txt");

        Assert.Equal(current.File("deploy/factory-defaults.txt"), new FactoryDefaultsLocator(current.Path, executable.Path).Resolve("deploy/factory-defaults.txt"));
    }

    [Fact]
    public void A_relative_path_is_found_beside_the_executable()
    {
        using var current = new TempDirectory();
        using var executable = new TempDirectory();
        Write(executable, "deploy/factory-defaults.txt");

        Assert.Equal(executable.File("deploy/factory-defaults.txt"), new FactoryDefaultsLocator(current.Path, executable.Path).Resolve("deploy/factory-defaults.txt"));
    }

    [Fact]
    public void A_relative_path_is_found_in_the_repository_that_holds_the_executable()
    {
        using var current = new TempDirectory();
        using var repository = new TempDirectory();
        Write(repository, "Usp.Agent.sln");
        Write(repository, "deploy/factory-defaults.txt");
        string binaries = Directory.CreateDirectory(repository.File("agent/bin/Release/net10.0")).FullName;

        Assert.Equal(repository.File("deploy/factory-defaults.txt"), new FactoryDefaultsLocator(current.Path, binaries).Resolve("deploy/factory-defaults.txt"));
    }

    [Fact]
    public void A_file_found_nowhere_is_reported_under_the_current_directory()
    {
        using var current = new TempDirectory();
        using var executable = new TempDirectory();

        Assert.Equal(current.File("deploy/missing.txt"), new FactoryDefaultsLocator(current.Path, executable.Path).Resolve("deploy/missing.txt"));
    }

    [Fact]
    public void An_absolute_path_is_kept()
    {
        Assert.Equal("/usr/share/usp-agent/factory-defaults.txt", new FactoryDefaultsLocator("/tmp", "/tmp").Resolve("/usr/share/usp-agent/factory-defaults.txt"));
    }

    private static void Write(TempDirectory directory, string relative)
    {
        string path = directory.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
    }
}
