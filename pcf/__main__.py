from .app import main

# dask starts its local workers with spawn, which re-imports the main module: run only as a script
if __name__ == "__main__":
    main()
