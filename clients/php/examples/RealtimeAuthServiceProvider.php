<?php

// app/Providers/RealtimeAuthServiceProvider.php — register it beside RealtimeServiceProvider.
// The `realtime` guard: the user named by the service's JWT. `Broadcast::routes()` runs behind it,
// so the service can ask routes/channels.php on the user's behalf (LARAVEL_AUTH_URL). In
// config/auth.php: 'guards' => [..., 'realtime' => ['driver' => 'realtime-jwt', 'provider' => 'users']].

declare(strict_types=1);

namespace App\Providers;

use Illuminate\Http\Request;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\ServiceProvider;
use MechaMap\Realtime\RealtimeToken;

require_once base_path('clients/php/RealtimeToken.php');

final class RealtimeAuthServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        Auth::viaRequest('realtime-jwt', static function (Request $request) {
            $claims = RealtimeToken::verify((string) $request->bearerToken(), (string) config('services.realtime.jwt_secret'));

            // The user provider named by the `realtime` guard's config ('users': your User model).
            return $claims === null ? null : Auth::createUserProvider(config('auth.guards.realtime.provider'))->retrieveById($claims['sub']);
        });
    }
}
