using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Usp.Agent.Hosting;

/// <summary>The registration helpers Program.cs uses to plug services into the host.</summary>
internal static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers an MTP listener: one instance that runs as a hosted service and counts towards readiness.
    /// Call it in Program.cs between the admin channel and the readiness service.
    /// </summary>
    public static IServiceCollection AddMtpListener<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TListener>(this IServiceCollection services)
        where TListener : class, IMtpListener, IHostedService
    {
        services.AddSingleton<TListener>();
        services.AddSingleton<IMtpListener>(provider => provider.GetRequiredService<TListener>());
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<TListener>());
        return services;
    }

    /// <summary>Registers one singleton under the two roles it plays.</summary>
    public static IServiceCollection AddSingletonAs<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService, TRole1, TRole2>(this IServiceCollection services)
        where TService : class, TRole1, TRole2
        where TRole1 : class
        where TRole2 : class
    {
        services.AddSingleton<TService>();
        services.AddSingleton<TRole1>(provider => provider.GetRequiredService<TService>());
        services.AddSingleton<TRole2>(provider => provider.GetRequiredService<TService>());
        return services;
    }
}
