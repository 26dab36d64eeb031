<?php

// app/Providers/RealtimeServiceProvider.php — register it in bootstrap/providers.php (Laravel 11+)
// or in the `providers` array of config/app.php (Laravel 10). See clients/php/README.md.

declare(strict_types=1);

namespace App\Providers;

use Illuminate\Contracts\Foundation\Application;
use Illuminate\Support\ServiceProvider;
use MechaMap\Realtime\RealtimeClient;

require_once base_path('clients/php/RealtimeClient.php');

final class RealtimeServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        // One client per worker: it keeps its HTTP connection open between publishes.
        $this->app->singleton(RealtimeClient::class, static function (Application $app): RealtimeClient {
            $config = $app['config']->get('services.realtime');

            return new RealtimeClient(
                rtrim((string) $config['url'], '/') . '/graphql',
                (string) $config['publisher_token'],
                [
                    'connect_timeout' => (float) ($config['connect_timeout'] ?? 1),
                    'timeout' => (float) ($config['timeout'] ?? 3),
                    'retries' => (int) ($config['retries'] ?? 2),
                ],
            );
        });
    }
}
